// views/sync.js: the shared-state panel of the "sync" scenario: how many workers are inside the
// Semaphore(k) section over time, against the red line k; when the start Event was set and when the
// Barrier let everyone through; one dot per worker at the barrier.
// Test hooks on the view root: data-final ("true" once the result is in), data-limit, data-max-inside
// (the most inside at once, from the events), data-entries, data-arrived, data-passed (barrier).

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { applyRun, liveView, runFields, verdict } from "./live-view.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 340;
const H = 170;
const PAD = { l: 26, r: 8, t: 10, b: 22 };

/**
 * @param {string} tag
 * @param {Record<string, string|number>} [attrs]
 * @param {...(Node|string)} children
 */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const plot = s("g");
  const svg = s("svg", { class: "sy-chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("sy.chart"), "data-i18n-aria-label": "sy.chart" }, plot);
  const max = h("span", { class: "sy-max mono" });
  const of = h("span", { class: "sy-of" });
  const said = verdict("sy-verdict");
  const dots = h("div", { class: "sy-dots" });
  const barrierText = h("span", { class: "sy-barrier-text" });
  const eventText = h("div", { class: "sy-event" });
  const root = h("div", { class: "view view-sync", dataset: { view: "sync" } },
    h("div", { class: "sy-head" }, h("span", { class: "sy-label", "data-i18n": "sy.most", text: t("sy.most") }), max, of),
    svg,
    said.el,
    eventText,
    h("div", { class: "sy-barrier" }, h("span", { class: "sy-label", translate: "no", text: "Barrier" }), dots, barrierText),
  );
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} st */
  function render(st) {
    const k = Number(st.result?.limit ?? st.params.limit);
    const workers = Number(st.result?.workers ?? st.params.workers) || 0;
    // Inside over time: +1 at each acquired, -1 at each release, in time order.
    const steps = [...st.deltas].sort((a, b) => a[0] - b[0]);
    let inside = 0;
    let most = 0;
    /** @type {[number, number][]} */
    const series = [];
    for (const [at, d] of steps) {
      inside += d;
      most = Math.max(most, inside);
      series.push([at, inside]);
    }
    drawChart(plot, series, k, Math.max(workers, Number.isFinite(k) ? k : 0, most, 1), st);
    max.textContent = String(most);
    of.textContent = t("sy.limit", { k: Number.isFinite(k) ? k : "–" });
    max.className = `sy-max mono ${most > k ? "bad" : "good"}`;

    const final = Boolean(st.result);
    if (most > k) said.set("bad", t("sy.over", { n: most, k }));
    else if (final) said.set("good", t("sy.never", { k }));
    else said.set("pending", st.started ? t("sy.atMost", { k }) : t("view.waiting"));
    eventText.textContent = st.setT === null
      ? t("sy.eventWaiting", { n: st.eventWaiting })
      : t("sy.eventSet", { t: fmtS(st.setT), n: st.eventWaiting });

    dots.replaceChildren(...Array.from({ length: workers }, (_, i) =>
      h("span", { class: `sy-dot ${i < st.passed ? "passed" : i < st.arrived ? "arrived" : ""}` })));
    barrierText.textContent = st.passed ? t("sy.through", { n: st.passed, workers }) : t("sy.arrived", { n: st.arrived, workers });

    Object.assign(root.dataset, {
      final: String(final),
      limit: String(Number.isFinite(k) ? k : ""),
      maxInside: String(most),
      entries: String(st.entries),
      arrived: String(st.arrived),
      passed: String(st.passed),
    });
  }

  return liveView(root, emptyState, apply, render);
}

/**
 * @param {SVGGElement} g
 * @param {[number, number][]} series (t, inside) in time order
 * @param {number} k
 * @param {number} top y-axis maximum
 * @param {ReturnType<typeof emptyState>} st
 */
function drawChart(g, series, k, top, st) {
  const t0 = Math.min(st.setT ?? Infinity, series.length ? series[0][0] : Infinity);
  const t1 = Math.max(series.length ? series[series.length - 1][0] : 0, st.barrierT ?? 0);
  const span = Number.isFinite(t0) && t1 > t0 ? t1 - t0 : 1;
  const x = (/** @type {number} */ t) => PAD.l + ((t - (Number.isFinite(t0) ? t0 : 0)) / span) * (W - PAD.l - PAD.r);
  const y = (/** @type {number} */ n) => H - PAD.b - (n / top) * (H - PAD.t - PAD.b);
  const out = [
    s("line", { class: "sy-axis", x1: PAD.l, y1: y(0), x2: W - PAD.r, y2: y(0) }),
    s("text", { class: "sy-tick", x: PAD.l - 6, y: y(0) + 5 }, "0"),
    s("text", { class: "sy-tick", x: PAD.l - 6, y: y(top) + 5 }, String(top)),
  ];
  if (st.setT !== null) out.push(marker(x(st.setT), t("sy.markStart"), "sy-mark-start"));
  if (st.barrierT !== null) out.push(marker(x(st.barrierT), t("sy.markBarrier"), "sy-mark-barrier"));
  if (series.length) {
    let d = `M${x(t0).toFixed(1)},${y(0).toFixed(1)}`;
    let prev = 0;
    for (const [at, n] of series) {
      d += ` H${x(at).toFixed(1)} V${y(n).toFixed(1)}`;
      prev = n;
    }
    d += ` H${(W - PAD.r).toFixed(1)} V${y(prev).toFixed(1)}`;
    out.push(s("path", { class: "sy-area", d: `${d} V${y(0).toFixed(1)} Z` }), s("path", { class: "sy-line", d }));
  }
  if (Number.isFinite(k)) {
    out.push(s("line", { class: "sy-limit", x1: PAD.l, y1: y(k), x2: W - PAD.r, y2: y(k) }));
    out.push(s("text", { class: "sy-limit-label", x: W - PAD.r - 2, y: y(k) - 6 }, `k = ${k}`));
  }
  g.replaceChildren(...out);

  /** @param {number} xx @param {string} label @param {string} cls */
  function marker(xx, label, cls) {
    return s("g", { class: cls },
      s("line", { x1: xx, y1: PAD.t, x2: xx, y2: H - PAD.b }),
      s("text", { x: xx, y: H - 5 }, label));
  }
}

/** @param {number} ns */
function fmtS(ns) {
  return `${(ns / 1e9).toFixed(2)} s`;
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {[number, number][]} (t, +1 or -1) */ deltas: [],
    entries: 0,
    /** @type {number|null} */ setT: null,
    eventWaiting: 0,
    arrived: 0,
    passed: 0,
    /** @type {number|null} when the barrier let the first one through */ barrierT: null,
  };
}

/**
 * @param {ReturnType<typeof emptyState>} st
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(st, ev) {
  if (applyRun(st, ev)) return;
  switch (ev.kind) {
    case "semaphore.acquired":
      st.deltas.push([ev.t, 1]);
      st.entries++;
      break;
    case "semaphore.released":
      st.deltas.push([ev.t, -1]);
      break;
    case "event.wait":
      if (st.setT === null || ev.t < st.setT) st.eventWaiting++;
      break;
    case "event.set":
      st.setT = ev.t;
      break;
    case "barrier.wait":
      st.arrived++;
      break;
    case "barrier.passed":
      st.passed++;
      st.barrierT = st.barrierT === null ? ev.t : Math.min(st.barrierT, ev.t);
      break;
  }
}
