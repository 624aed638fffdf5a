// views/deadlock.js: the shared-state panel of the "deadlock" scenario: the wait-for graph drawn big.
// Two processes (circles) and two locks (boxes); an arrow lock -> process means "held by", a dashed
// arrow process -> lock "waits for". Live while the run goes on; once a cycle is detected it is frozen
// in red; without one, the last chain of waits is shown in green with "no cycle".
// Test hooks on the view root: data-final ("true" once the result is in), data-deadlocked
// ("true"/"false"), data-cycle (the detected cycle as JSON, or ""), data-fix, data-edges (how many
// arrows are drawn).

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { applyRun, liveView, noResult, runFields, verdict, words } from "./live-view.js";

const SVG = "http://www.w3.org/2000/svg";
const PROCS = ["A", "B"];
const LOCKS = ["lock1", "lock2"];
const POS = { A: [50, 120], B: [290, 120], lock1: [170, 34], lock2: [170, 206] };

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
  const edges = s("g", { class: "dl-edges" });
  const orders = { A: h("span", { class: "dl-order-seq mono" }), B: h("span", { class: "dl-order-seq mono" }) };
  const markers = s("defs", {}, ...["plain", "cycle", "chain"].map((kind) =>
    s("marker", { id: `dl-arrow-${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 4.5, markerHeight: 4.5, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: `dl-head ${kind}` }))));
  const nodes = s("g", { class: "dl-nodes" },
    ...PROCS.map((p) => s("g", { class: "dl-proc" },
      s("circle", { cx: POS[p][0], cy: POS[p][1], r: 38 }),
      s("text", { x: POS[p][0], y: POS[p][1] + 13, class: "dl-proc-name" }, p))),
    ...LOCKS.map((l) => s("g", { class: "dl-lock" },
      s("rect", { x: POS[l][0] - 50, y: POS[l][1] - 22, width: 100, height: 44, rx: 8 }),
      s("text", { x: POS[l][0], y: POS[l][1] + 8, class: "dl-lock-name" }, l))));
  const svg = s("svg", { class: "dl-graph", viewBox: "0 0 340 240", role: "img", "aria-label": t("dl.graph"), "data-i18n-aria-label": "dl.graph" }, markers, edges, nodes);
  const said = verdict("dl-verdict");
  const detail = h("div", { class: "dl-detail" });
  const legend = h("div", { class: "dl-legend" },
    words("dl.heldBy", "span", "dl-key held"), words("dl.waitsFor", "span", "dl-key waits"));
  const order = h("div", { class: "dl-order" },
    h("span", {}, h("b", { text: "A" }), " ", words("dl.takes"), " ", orders.A),
    h("span", {}, h("b", { text: "B" }), " ", words("dl.takes"), " ", orders.B));
  const root = h("div", { class: "view view-deadlock", dataset: { view: "deadlock" } }, svg, legend, order, said.el, detail);
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} st */
  function render(st) {
    const fix = Boolean(st.result?.fix ?? st.params.fix);
    orders.A.textContent = "lock1 → lock2";
    orders.B.textContent = fix ? "lock1 → lock2" : "lock2 → lock1";
    orders.B.classList.toggle("opposite", !fix);
    root.dataset.fix = String(fix);

    /** @type {{graph: Graph, kind: string}} */
    let shown;
    if (st.cycle) shown = { graph: st.cycle, kind: "cycle" };
    else if (st.ended && st.chain) shown = { graph: st.chain, kind: "chain" };
    else shown = { graph: st.live, kind: "plain" };
    edges.replaceChildren(...drawEdges(shown.graph, shown.kind));
    root.dataset.edges = String(edges.childElementCount);

    const final = Boolean(st.result);
    const cycle = st.result?.cycle ?? st.cycleData;
    /** @type {import("./live-view.js").Tone} */
    let cls = "pending";
    let text = t(st.started ? "view.running" : "view.waiting");
    if (cycle) {
      cls = "bad";
      text = t("dl.deadlock", { cycle: `${cycle.map((/** @type {string[]} */ c) => `${c[0]} → ${c[2]}`).join(" → ")} → ${cycle[0][0]}` });
    } else if (final) {
      cls = "good";
      text = t(fix ? "dl.fixed" : "dl.lucky");
    } else if (st.ended) {
      text = noResult(st.endStatus);
    }
    said.set(cls, text);

    const parts = PROCS.map((p) => t(st.rounds[p] === 1 ? "dl.round" : "dl.rounds", { p, n: st.rounds[p] }));
    if (st.timeouts.length) parts.push(t("dl.timedOut", { list: st.timeouts.map((o) => t("dl.after", { proc: o.proc, ms: o.ms })).join(", ") }));
    if (st.result?.gave_up?.length) parts.push(t("dl.gaveUp", { list: st.result.gave_up.join(", ") }));
    detail.textContent = parts.join(" · ");

    root.dataset.final = String(final);
    root.dataset.deadlocked = String(Boolean(cycle));
    root.dataset.cycle = cycle ? JSON.stringify(cycle) : "";
  }

  return liveView(root, emptyState, apply, render);
}

/** @typedef {{holder: Record<string, string|null>, waits: Record<string, string|null>}} Graph */

/** @returns {Graph} */
function emptyGraph() {
  return { holder: { lock1: null, lock2: null }, waits: { A: null, B: null } };
}

/** @param {Graph} g */
function copy(g) {
  return { holder: { ...g.holder }, waits: { ...g.waits } };
}

/**
 * Arrows: lock -> holder ("held by", solid), process -> lock ("waits for", dashed).
 * @param {Graph} g
 * @param {string} kind "plain" | "cycle" | "chain"
 */
function drawEdges(g, kind) {
  const out = [];
  for (const lock of LOCKS) {
    const p = g.holder[lock];
    if (p && POS[p]) out.push(arrow(POS[lock], POS[p], `held ${kind}`, kind));
  }
  for (const p of PROCS) {
    const lock = g.waits[p];
    if (lock && POS[lock]) out.push(arrow(POS[p], POS[lock], `waits ${kind}`, kind));
  }
  return out;
}

/**
 * A straight arrow between two node centres, shortened so it starts and ends at the nodes' edges.
 * @param {number[]} from @param {number[]} to @param {string} cls @param {string} kind
 */
function arrow(from, to, cls, kind) {
  const [x1, y1] = from;
  const [x2, y2] = to;
  const len = Math.hypot(x2 - x1, y2 - y1);
  const ux = (x2 - x1) / len;
  const uy = (y2 - y1) / len;
  const a = 44;
  const b = 48;
  return s("line", {
    x1: x1 + ux * a, y1: y1 + uy * a, x2: x2 - ux * b, y2: y2 - uy * b,
    class: `dl-edge ${cls}`, "marker-end": `url(#dl-arrow-${kind})`,
  });
}

function emptyState() {
  return {
    ...runFields(),
    live: emptyGraph(),
    /** @type {Record<string, Map<string, number>>} lock -> when acquired, per process */
    held: { A: new Map(), B: new Map() },
    /** @type {Graph|null} the graph when the cycle was detected */ cycle: null,
    /** @type {any} */ cycleData: null,
    /** @type {Graph|null} the last moment a process waited for a lock another one held */ chain: null,
    rounds: { A: 0, B: 0 },
    /** @type {{proc: string, ms: number}[]} */ timeouts: [],
  };
}

/**
 * @param {ReturnType<typeof emptyState>} st
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(st, ev) {
  if (applyRun(st, ev)) return;
  const d = ev.data;
  const p = ev.proc;
  const g = st.live;
  // Each process's own events arrive in order, two processes' may not: who holds a lock is kept per
  // process, and the lock goes to whoever acquired it last.
  const sync = () => {
    for (const lock of LOCKS) {
      let best = null;
      let bestT = -Infinity;
      for (const q of PROCS) {
        const at = st.held[q].get(lock);
        if (at !== undefined && at > bestT) [best, bestT] = [q, at];
      }
      g.holder[lock] = best;
    }
  };
  switch (ev.kind) {
    case "lock.wait":
      if (!(p in g.waits)) break;
      g.waits[p] = String(d.lock);
      if (g.holder[d.lock] && g.holder[d.lock] !== p) st.chain = copy(g);
      break;
    case "lock.acquired":
      if (!(p in g.waits)) break;
      g.waits[p] = null;
      st.held[p].set(String(d.lock), ev.t);
      sync();
      if (PROCS.some((q) => g.waits[q] === d.lock)) st.chain = copy(g); // another one waits for it
      break;
    case "log": // once a round, as the process holds both locks
      if (p in st.rounds) st.rounds[p]++;
      break;
    case "lock.released":
      if (!(p in g.waits)) break;
      st.held[p].delete(String(d.lock));
      sync();
      break;
    case "lock.timeout":
      if (p in g.waits) g.waits[p] = null;
      st.timeouts.push({ proc: p, ms: Number(d.waited_ms) });
      break;
    case "deadlock.detected":
      if (!st.cycle && Array.isArray(d.cycle)) {
        const c = emptyGraph();
        for (const [proc, holds, wants] of d.cycle) {
          if (holds in c.holder) c.holder[holds] = proc;
          if (proc in c.waits) c.waits[proc] = wants;
        }
        st.cycle = c;
        st.cycleData = d.cycle;
      }
      break;
  }
}
