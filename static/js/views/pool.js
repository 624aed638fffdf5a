// views/pool.js: the shared-state panel of the "pool" scenario: one row per pool worker with the tasks
// it ran (the running one lit) and how many, and the results list filling in the order the main process
// got them, out-of-order arrivals (imap_unordered) highlighted, and a verdict (all back, in order or not).
// Test hooks on the view root: data-method, data-workers (pool workers seen), data-counts
// ("name:count" per worker, comma-separated), data-result-order (task numbers in arrival order),
// data-out-of-order (results that overtook: arrived while an earlier task's result was still due),
// data-final ("true" once the result is in).

import { h, replace } from "../dom.js";
import { applyRun, liveView, noResult, runFields, verdict } from "./live-view.js";
import { fmtInt } from "../format.js";
import { statusWord, t } from "../i18n.js";

const PREFIX = /^(ForkServer|Spawn|Fork)?PoolWorker-/;

/** Pool methods with a note (i18n key pool.note.METHOD) on when their results come back. */
const METHODS = new Set(["map", "imap", "imap_unordered"]);

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    method: h("div", { class: "pl-method-value mono" }),
    chunk: h("div", { class: "pl-small-value mono" }),
    workersLabel: h("h4", {}),
    workers: h("ol", { class: "pl-workers" }),
    resultsLabel: h("h4", {}),
    results: h("ol", { class: "pl-results mono", "aria-label": t("pool.resultsAria"), "data-i18n-aria-label": "pool.resultsAria" }),
    note: h("p", { class: "pl-note" }),
  };
  const said = verdict("view-verdict");
  const root = h("div", { class: "view view-pool", dataset: { view: "pool" } },
    h("div", { class: "pl-top" },
      h("div", { class: "pl-box pl-box-wide" }, h("div", { class: "pv-label", text: "pool." }), el.method, el.note),
      h("div", { class: "pl-box" }, h("div", { class: "pv-label", text: "chunksize" }), el.chunk)),
    h("section", { class: "view-section" }, el.resultsLabel, el.results),
    h("section", { class: "view-section" }, el.workersLabel, el.workers),
    said.el,
  );
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const p = s.params;
    const method = String(p.method ?? "");
    const n = Number(p.n) || 0;
    el.method.textContent = method ? `${method}()` : "–";
    el.chunk.textContent = s.result?.chunksize ?? (p.chunksize ? String(p.chunksize) : s.started ? t("pool.default") : "–");
    el.note.textContent = METHODS.has(method) ? t(`pool.note.${method}`) : "";

    const workers = [...s.workers.values()];
    const prefix = workers.length ? (workers[0].name.match(PREFIX)?.[0] ?? "") : "";
    replace(el.workersLabel, t("pool.workers", { n: fmtInt(workers.length) }), prefix ? h("code", { class: "pl-prefix", text: ` ${prefix}N` }) : null);
    const dense = n > 40;
    replace(el.workers, ...workers.map((w) =>
      h("li", { class: `pl-worker${w.replaced ? " replaced" : ""}`, dataset: { proc: w.name, count: String(w.tasks.length) } },
        h("span", { class: "pl-wname mono", title: w.name, text: short(w.name) }),
        h("span", { class: `pl-tasks${dense ? " dense" : ""}` },
          ...w.tasks.map((task) => h("span", { class: `pl-task${s.running.has(task) ? " running" : ""}`, text: String(task) }))),
        h("span", { class: "pl-count mono", title: t("pool.tasksRun"), text: String(w.tasks.length) }),
        w.replaced ? h("span", { class: "pl-replaced", text: t("pool.exited") }) : null)));

    const order = s.order;
    let early = 0;
    const arrived = new Set();
    let due = 0; // the lowest task whose result has not arrived yet
    const chips = order.map(({ task, result }) => {
      const ahead = task > due; // overtook an earlier task still running: imap_unordered does that
      if (ahead) early++;
      arrived.add(task);
      while (arrived.has(due)) due++;
      return h("li", { class: `pl-res${ahead ? " ooo" : ""}${dense ? " dense" : ""}`, title: t("pool.task", { task, result }) },
        h("span", { class: "pl-res-task", text: String(task) }), dense ? null : h("span", { class: "pl-res-val", text: fmtInt(result) }));
    });
    replace(el.resultsLabel, t("pool.results", { n: fmtInt(order.length), total: fmtInt(n) }),
      early ? h("span", { class: "pl-ooo-count", text: ` · ${t("pool.overtook", { n: fmtInt(early) })}` }) : null);
    if (!order.length && s.started) {
      replace(el.results, h("li", { class: "pl-wait", text: s.ended ? t("pool.noResults", { status: statusWord(s.endStatus) }) : t(method === "map" ? "pool.mapWaits" : "pool.firstResult") }));
    } else replace(el.results, ...chips);

    const final = Boolean(s.result && Array.isArray(s.result.results));
    if (s.ended && !final) said.set("bad", noResult(s.endStatus));
    else if (final) said.set("good", t(early ? "pool.outOfOrder" : "pool.inOrder", { n: fmtInt(order.length), early: fmtInt(early) }));
    else said.set("pending", s.started ? t("pool.soFar", { n: fmtInt(order.length), total: fmtInt(n) }) : t("view.waiting"));
    Object.assign(root.dataset, {
      method,
      workers: String(workers.length),
      counts: workers.map((w) => `${w.name}:${w.tasks.length}`).join(","),
      resultOrder: order.map((o) => o.task).join(","),
      outOfOrder: String(early),
      final: String(final),
    });
  }

  return liveView(root, emptyState, apply, render);
}

/** "ForkServerPoolWorker-1:3" (run 1's 3rd child) -> "W3": the full name is on the timeline lane. */
function short(name) {
  return `W${name.replace(PREFIX, "").split(":").pop()}`;
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {Map<string, {name: string, tasks: number[], replaced: boolean}>} by lane key, start order */
    workers: new Map(),
    /** @type {Set<number>} tasks started and not yet ended */ running: new Set(),
    /** @type {{task: number, result: any}[]} results in arrival order */ order: [],
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 * @param {string} key
 */
function worker(s, ev, key) {
  let w = s.workers.get(key);
  if (!w) {
    w = { name: ev.proc, tasks: [], replaced: false };
    s.workers.set(key, w);
  }
  return w;
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) return;
  const d = ev.data;
  const key = `${ev.pid}/${ev.proc}`;
  switch (ev.kind) {
    case "process.start":
      if (d.role === "pool worker") worker(s, ev, key);
      break;
    case "process.exit":
      // A worker that leaves while results are still due was replaced (maxtasksperchild).
      if (s.workers.has(key) && s.order.length < Number(s.params.n)) worker(s, ev, key).replaced = true;
      break;
    case "pool.task.start":
      worker(s, ev, key).tasks.push(Number(d.task));
      s.running.add(Number(d.task));
      break;
    case "pool.task.end":
      s.running.delete(Number(d.task));
      break;
    case "pool.result":
      s.order.push({ task: Number(d.task), result: d.result });
      break;
  }
}
