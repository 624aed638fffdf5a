// views/queue.js: the shared-state panel of the "queue" scenario: the queue's slots with the items in
// it (producers put on the left, consumers get on the right), its depth against maxsize over time,
// who is blocked (put on a full queue, get on an empty one), recent item hand-overs and the verdict.
// Test hooks on the view root: data-depth, data-maxsize, data-max-depth, data-produced,
// data-consumed, data-wait-put, data-wait-get (blocking events seen), data-lost, data-duplicated,
// data-final ("true" once the result is in).

import { h, replace } from "../dom.js";
import { applyRun, liveView, noResult, runFields, verdict, words } from "./live-view.js";
import { fmtInt, fmtMs } from "../format.js";
import { t } from "../i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_SLOTS = 12; // more than this: a continuous bar instead of one box per slot
const SPARK_W = 300;
const SPARK_H = 70;

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    depth: h("span", { class: "q-depth-value mono" }),
    max: h("span", { class: "q-depth-max mono" }),
    slots: h("div", { class: "q-slots", role: "img" }),
    spark: document.createElementNS(SVG, "svg"),
    procs: h("div", { class: "q-procs" }),
    flow: h("ol", { class: "q-flow mono", "aria-label": t("queue.recent"), "data-i18n-aria-label": "queue.recent" }),
  };
  const said = verdict("q-verdict");
  el.spark.setAttribute("viewBox", `0 0 ${SPARK_W} ${SPARK_H}`);
  el.spark.setAttribute("preserveAspectRatio", "none");
  el.spark.setAttribute("class", "q-spark");
  el.spark.setAttribute("aria-hidden", "true");
  const root = h("div", { class: "view view-queue", dataset: { view: "queue" } },
    h("div", { class: "q-head" },
      h("div", { class: "q-label" }, words("queue.depth"), " ", h("code", { text: "q.qsize()" })),
      h("div", { class: "q-depth" }, el.depth, el.max)),
    said.el,
    h("div", { class: "q-pipe" },
      h("span", { class: "q-end", text: "put →" }), el.slots, h("span", { class: "q-end", text: "→ get" })),
    h("div", { class: "q-spark-box" }, el.spark, h("div", { class: "q-spark-label", "data-i18n": "queue.spark", text: t("queue.spark") })),
    el.procs,
    h("section", { class: "view-section" }, words("queue.handovers", "h4"), el.flow),
  );
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const maxsize = Number(s.params.maxsize) || 0;
    // The depth the latest event reported; once the run is over, what is still in the queue (a put's
    // report can come microseconds after the get that took its item, from another process).
    const latest = s.depth.length ? s.depth.reduce((a, b) => (b[0] >= a[0] ? b : a))[1] : 0;
    const depth = s.ended ? s.inQueue.length : latest;
    el.depth.textContent = fmtInt(depth);
    el.max.textContent = maxsize ? ` / ${fmtInt(maxsize)}` : "";
    const full = maxsize > 0 && depth >= maxsize;
    root.classList.toggle("q-full", full);
    root.classList.toggle("q-empty", depth === 0 && s.started && !s.ended);
    renderSlots(s, maxsize, depth);
    renderSpark(s, maxsize);
    renderProcs(s);
    replace(el.flow, ...s.flow.slice(-5).reverse().map((f) =>
      h("li", {}, h("b", { text: f.item === null ? "None" : f.item }), " ", h("span", { class: "dim", text: f.from }), " → ", h("span", { text: f.to }))));
    if (!s.flow.length) el.flow.append(h("li", { class: "dim", text: t("queue.nothing") }));

    const r = s.result;
    const final = Boolean(r && typeof r.produced === "number");
    if (final) {
      const ok = r.produced === r.consumed && !r.lost?.length && !r.duplicated?.length;
      if (ok) said.set("good", t("queue.allArrived", { n: fmtInt(r.produced) }));
      else said.set("bad", t("queue.lostDup", { lost: fmtInt(r.lost?.length ?? 0), dup: fmtInt(r.duplicated?.length ?? 0) }));
    } else {
      said.set("pending", s.ended
        ? noResult(s.endStatus)
        : s.started ? t("queue.putGot", { put: fmtInt(s.produced), got: fmtInt(s.consumed) }) : t("view.waiting"));
    }
    Object.assign(root.dataset, {
      depth: String(depth),
      maxsize: String(maxsize),
      maxDepth: String(final ? r.max_depth : s.maxDepth),
      produced: String(final ? r.produced : s.produced),
      consumed: String(final ? r.consumed : s.consumed),
      waitPut: String(s.waitPut),
      waitGet: String(s.waitGet),
      lost: String(final ? r.lost?.length ?? "" : ""),
      duplicated: String(final ? r.duplicated?.length ?? "" : ""),
      final: String(final),
    });
  }

  /** @param {ReturnType<typeof emptyState>} s @param {number} maxsize @param {number} depth */
  function renderSlots(s, maxsize, depth) {
    el.slots.setAttribute("aria-label", t("queue.slots", { depth, max: maxsize }));
    if (maxsize > MAX_SLOTS || !maxsize) {
      const pct = maxsize ? Math.min(100, (100 * depth) / maxsize) : 0;
      const bar = h("div", { class: "q-bar" });
      bar.style.width = `${pct}%`;
      replace(el.slots, h("div", { class: "q-bar-box" }, bar));
      return;
    }
    // Oldest item on the right, next to the consumers: that is the one the next get returns.
    const items = s.inQueue.slice(0, maxsize).reverse();
    const empty = Math.max(0, maxsize - items.length);
    replace(el.slots,
      ...Array.from({ length: empty }, () => h("div", { class: "q-slot" })),
      ...items.map((it) => h("div", { class: `q-slot used${it.item === null ? " stop" : ""}`, text: it.item === null ? "None" : it.item })));
  }

  /** @param {ReturnType<typeof emptyState>} s @param {number} maxsize */
  function renderSpark(s, maxsize) {
    const pts = [...s.depth].sort((a, b) => a[0] - b[0]);
    const t1 = Math.max(1, s.endT ?? 0, pts.length ? pts[pts.length - 1][0] : 0);
    const top = Math.max(1, maxsize, s.maxDepth);
    const y = (/** @type {number} */ d) => SPARK_H - 2 - (d / top) * (SPARK_H - 6);
    // A step line with one column per x unit: a column's spike reaches its highest depth, then the line
    // goes on from its last one. Cheap for any number of events, and no short peak disappears.
    let d = `M0 ${y(0)}`;
    let lastX = 0;
    let last = 0;
    let i = 0;
    while (i < pts.length) {
      const x = Math.round((pts[i][0] / t1) * SPARK_W);
      let peak = pts[i][1];
      for (; i < pts.length && Math.round((pts[i][0] / t1) * SPARK_W) === x; i++) peak = Math.max(peak, pts[i][1]);
      const end = pts[i - 1][1];
      if (x !== lastX) d += ` L${x} ${y(last)}`;
      d += ` L${x} ${y(peak)} L${x} ${y(end)}`;
      lastX = x;
      last = end;
    }
    d += ` L${SPARK_W} ${y(last)}`;
    const line = document.createElementNS(SVG, "path");
    line.setAttribute("d", d);
    line.setAttribute("class", "q-spark-line");
    const limit = document.createElementNS(SVG, "line");
    Object.entries({ x1: 0, x2: SPARK_W, y1: y(maxsize), y2: y(maxsize), class: "q-spark-max" }).forEach(([k, v]) => limit.setAttribute(k, String(v)));
    el.spark.replaceChildren(limit, line);
  }

  /** @param {ReturnType<typeof emptyState>} s */
  function renderProcs(s) {
    const rows = [...s.procs.values()].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    const lane = (/** @type {string} */ role, /** @type {string} */ titleKey) => {
      const mine = rows.filter((p) => p.role === role);
      if (!mine.length) return null;
      return h("section", { class: "q-lane" }, h("h4", { text: t(titleKey) }),
        h("ul", {}, ...mine.map((p) => {
          const waiting = p.waiting !== null && !s.ended;
          const blocked = t(role === "producer" ? "queue.blockedFull" : "queue.blockedEmpty");
          const done = role === "producer" ? t("queue.nPut", { n: fmtInt(p.puts) }) : t("queue.nGot", { n: fmtInt(p.gets) });
          return h("li", { class: `q-proc${waiting ? " blocked" : ""}`, dataset: { proc: p.name } },
            h("span", { class: "q-proc-name mono", text: p.name }),
            h("span", { class: "q-proc-state", text: waiting ? blocked : done }),
            p.waits ? h("span", { class: "q-proc-waits", text: t("queue.waited", { n: fmtInt(p.waits), time: fmtMs(p.waitedNs) }) }) : null);
        })));
    };
    replace(el.procs, lane("producer", "queue.producers"), lane("consumer", "queue.consumers"));
  }

  return liveView(root, emptyState, apply, render);
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {number|null} */ endT: null,
    /** @type {[number, number][]} (t, depth) from every put and get */ depth: [],
    /** @type {{item: string|null, t: number, from: string}[]} put and not yet got, oldest first */ inQueue: [],
    /** @type {Map<string, number>} got before its put arrived (events from two processes may cross) */ early: new Map(),
    /** @type {{item: string|null, from: string, to: string}[]} */ flow: [],
    /** @type {Map<string, {name: string, role: string, puts: number, gets: number, waiting: number|null, waits: number, waitedNs: number}>} */
    procs: new Map(),
    produced: 0,
    consumed: 0,
    maxDepth: 0,
    waitPut: 0,
    waitGet: 0,
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {string} name
 */
function proc(s, name) {
  let p = s.procs.get(name);
  if (!p) {
    const role = name.startsWith("producer") ? "producer" : name.startsWith("consumer") ? "consumer" : "other";
    p = { name, role, puts: 0, gets: 0, waiting: null, waits: 0, waitedNs: 0 };
    s.procs.set(name, p);
  }
  return p;
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) {
    if (ev.kind === "run.end") s.endT = ev.t;
    return;
  }
  const d = ev.data;
  switch (ev.kind) {
    case "process.start":
      proc(s, ev.proc);
      break;
    case "queue.wait_put":
    case "queue.wait_get": {
      const p = proc(s, ev.proc);
      p.waiting = ev.t;
      p.waits++;
      if (ev.kind === "queue.wait_put") s.waitPut++;
      else s.waitGet++;
      break;
    }
    case "queue.put":
    case "queue.get": {
      const p = proc(s, ev.proc);
      if (p.waiting !== null) p.waitedNs += Math.max(0, ev.t - p.waiting);
      p.waiting = null;
      if (typeof d.depth === "number") {
        s.depth.push([ev.t, d.depth]);
        s.maxDepth = Math.max(s.maxDepth, d.depth);
      }
      const item = d.item ?? null;
      const key = String(item);
      if (ev.kind === "queue.put") {
        if (item !== null) {
          p.puts++;
          s.produced++;
        }
        const early = s.early.get(key) ?? 0;
        if (early) s.early.set(key, early - 1);
        else {
          const at = s.inQueue.findLastIndex((x) => x.t <= ev.t) + 1; // events may arrive out of time order
          s.inQueue.splice(at, 0, { item, t: ev.t, from: ev.proc });
        }
      } else {
        if (item !== null) {
          p.gets++;
          s.consumed++;
        }
        const i = s.inQueue.findIndex((x) => x.item === item);
        if (i >= 0) {
          s.flow.push({ item, from: s.inQueue[i].from, to: ev.proc });
          s.inQueue.splice(i, 1);
        } else {
          s.early.set(key, (s.early.get(key) ?? 0) + 1);
          s.flow.push({ item, from: "?", to: ev.proc });
        }
        if (s.flow.length > 50) s.flow.splice(0, s.flow.length - 50);
      }
      break;
    }
  }
}
