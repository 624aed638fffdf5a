// views/executor.js: the shared-state panel of the "executor" scenario: ProcessPoolExecutor and
// multiprocessing.Pool side by side, each with its outcome (results, BrokenProcessPool, timed out),
// how long it took, and how many of its tasks finished; workers that died are counted.
// Test hooks on the view root: data-final ("true" once the result is in), data-broken,
// data-executor / data-pool ("results", "error" or ""), data-executor-done / data-pool-done (tasks
// finished, from pool.task.end events), data-died (workers that exited with a non-zero code).

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { applyRun, liveView, runFields, verdict } from "./live-view.js";

const SIDES = [
  { id: "executor", title: "Executor", cls: "ProcessPoolExecutor", role: "executor worker" },
  { id: "pool", title: "Pool", cls: "multiprocessing.Pool", role: "pool worker" },
];

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  /** @type {Record<string, {box: HTMLElement, outcome: HTMLElement, secs: HTMLElement, done: HTMLElement, detail: HTMLElement}>} */
  const els = {};
  const boxes = SIDES.map((side) => {
    const e = {
      box: h("section", { class: "ex-side pending", dataset: { side: side.id } }),
      outcome: h("div", { class: "ex-outcome" }),
      secs: h("div", { class: "ex-secs mono" }),
      done: h("div", { class: "ex-done" }),
      detail: h("div", { class: "ex-detail mono" }),
    };
    e.box.append(
      h("h4", { class: "ex-title" }, h("span", { translate: "no", text: side.title }), h("span", { class: "ex-class mono", text: side.cls })),
      e.outcome, e.detail, e.secs, e.done);
    els[side.id] = e;
    return e.box;
  });
  const said = verdict("ex-verdict");
  const root = h("div", { class: "view view-executor", dataset: { view: "executor" } },
    h("div", { class: "ex-sides" }, ...boxes), said.el);
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} st */
  function render(st) {
    const tasks = Number(st.params.tasks);
    for (const side of SIDES) {
      const e = els[side.id];
      const end = st.ends[side.id];
      const outcome = st.result?.[side.id] ?? end;
      const done = st.done[side.id];
      let cls = "pending";
      let text = st.running === side.id ? t("ex.running") : "–";
      let detail = "";
      if (outcome && "results" in outcome) {
        cls = "good";
        text = t("ex.results");
        detail = `${JSON.stringify(outcome.results).slice(0, 40)}`;
      } else if (outcome && "error" in outcome) {
        const timedOut = String(outcome.error).startsWith("timed out");
        cls = timedOut ? "warn" : "bad";
        text = t(timedOut ? "ex.timedOut" : "ex.broken");
        detail = timedOut ? t("ex.after", { time: fmtS(st.params.pool_timeout_ms / 1000) }) : String(outcome.error).split(":")[0];
        e.box.title = String(outcome.error);
      }
      e.box.className = `ex-side ${cls}`;
      e.outcome.textContent = text;
      e.secs.textContent = end && typeof end.seconds === "number" ? `${end.seconds.toFixed(2)} s` : "";
      e.done.textContent = t("ex.done", { done: `${done}${Number.isFinite(tasks) ? `/${tasks}` : ""}` });
      if (st.died[side.id]) e.done.append(h("span", { class: "ex-died", text: t("ex.died", { n: st.died[side.id] }) }));
      e.detail.textContent = detail;
      root.dataset[side.id] = outcome ? ("results" in outcome ? "results" : "error") : "";
      root.dataset[`${side.id}Done`] = String(done);
    }
    const final = Boolean(st.result);
    const killed = st.result ? st.result.killed_task !== null : Boolean(st.params.kill_worker);
    if (final && killed) said.set("bad", t(st.result.broken_pool ? "ex.failFast" : "ex.aWorkerDied"));
    else if (final) said.set("good", t("ex.same"));
    else said.set("pending", t(st.started ? (killed ? "ex.willDie" : "view.running") : "view.waiting"));
    Object.assign(root.dataset, {
      final: String(final),
      broken: String(Boolean(st.result?.broken_pool)),
      died: String(st.died.executor + st.died.pool),
    });
  }

  return liveView(root, emptyState, apply, render);
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {string} the phase running now */ running: "",
    /** @type {Record<string, any>} phase.end data by side */ ends: {},
    /** @type {Map<number, string>} pid -> side */ side: new Map(),
    done: { executor: 0, pool: 0 },
    died: { executor: 0, pool: 0 },
  };
}

/**
 * @param {ReturnType<typeof emptyState>} st
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(st, ev) {
  if (applyRun(st, ev)) {
    if (ev.kind === "run.end") st.running = "";
    return;
  }
  const d = ev.data;
  const side = st.side.get(ev.pid);
  switch (ev.kind) {
    case "process.start": {
      const s = SIDES.find((x) => x.role === d.role);
      if (s) st.side.set(ev.pid, s.id);
      break;
    }
    case "pool.task.end":
      if (side) st.done[side]++;
      break;
    case "process.exit":
      if (side && typeof d.exitcode === "number" && d.exitcode > 0 && d.exitcode < 128) st.died[side]++;
      break;
    case "phase.start":
      st.running = String(d.phase);
      break;
    case "phase.end":
      st.running = "";
      st.ends[String(d.phase)] = d;
      break;
  }
}

/** @param {number} x seconds */
function fmtS(x) {
  return Number.isFinite(x) ? `${+x.toFixed(2)} s` : t("ex.theTimeout");
}
