// views/processes.js: the shared-state panel of the "processes" scenario: every child's lifecycle as a
// row of stage chips (created, started, running, exited, joined), its exit code, and how long start()
// took in the parent under the run's start method, with the mean.
// Test hooks on the view root: data-start-method, data-stages (each process's stage, comma-separated),
// data-exitcodes, data-start-ms, data-mean-start-ms, data-final ("true" once the result is in).

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { applyRun, liveView, noResult, runFields, verdict, words } from "./live-view.js";

/** The lifecycle, in order; words: i18n keys proc.ID (the stage) and proc.IDHow (what marks it). */
const STAGES = [{ id: "created" }, { id: "started" }, { id: "running" }, { id: "exited" }, { id: "joined" }];

/** Start methods with a note (i18n key proc.note.METHOD) on what start() does under them. */
const METHODS = new Set(["fork", "spawn", "forkserver"]);

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    method: h("div", { class: "pv-method-value mono" }),
    mean: h("div", { class: "pv-mean-value mono" }),
    rows: h("tbody"),
    note: h("p", { class: "pv-note" }),
  };
  const done = verdict("pv-done");
  const root = h("div", { class: "view view-processes", dataset: { view: "processes" } },
    h("div", { class: "pv-top" },
      h("div", { class: "pv-method" }, h("div", { class: "pv-label", "data-i18n": "proc.method", text: t("proc.method") }), el.method),
      h("div", { class: "pv-mean" }, h("div", { class: "pv-label" }, words("proc.mean"), " ", h("code", { text: "p.start()" })), el.mean)),
    h("table", { class: "pv-table" },
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", "data-i18n": "proc.process", text: t("proc.process") }),
        ...STAGES.map((s) => h("th", { scope: "col", "data-i18n": `proc.${s.id}`, "data-i18n-title": `proc.${s.id}How`, title: t(`proc.${s.id}How`), text: t(`proc.${s.id}`) })),
        h("th", { scope: "col", class: "num" }, h("code", { text: "start()" })))),
      el.rows),
    el.note,
    done.el,
  );
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const method = s.result?.start_method ?? s.method;
    el.method.textContent = method || "–";
    el.note.textContent = METHODS.has(method) ? t(`proc.note.${method}`) : "";
    // In the order they were created, by the time each was first seen: events of different processes
    // may arrive out of order (the parent's queue feeder can be slower than a new child's first event).
    const procs = [...s.procs.values()].sort((a, b) => a.firstT - b.firstT);
    const known = procs.map((p) => p.startMs).filter((ms) => typeof ms === "number");
    const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
    el.mean.textContent = mean === null ? "–" : fmtMs(mean);

    replace(el.rows, ...procs.map((p) => {
      const stage = STAGES.findIndex((st) => st.id === p.stage);
      return h("tr", { dataset: { proc: p.name, stage: p.stage } },
        h("th", { scope: "row", class: "mono", text: short(p.name) }),
        ...STAGES.map((st, i) => {
          let cls = i < stage ? "done" : i === stage ? "now" : "todo";
          let text = i <= stage ? "✓" : "";
          if (st.id === "exited" && p.exitcode !== null) {
            text = String(p.exitcode);
            if (p.exitcode !== 0) cls += " bad";
          }
          return h("td", { class: `pv-chip ${cls}`, title: `${t(`proc.${st.id}`)}: ${t(`proc.${st.id}How`)}`, text });
        }),
        h("td", { class: "num mono pv-ms", text: typeof p.startMs === "number" ? fmtMs(p.startMs) : "" }));
    }));

    const joined = procs.filter((p) => p.stage === "joined").length;
    if (s.allDone) done.set("good", t("proc.allJoined", { n: procs.length }));
    else done.set("pending", s.ended ? noResult(s.endStatus) : s.started ? t("proc.joinedOf", { joined, n: procs.length || "–" }) : t("view.waiting"));

    const final = Boolean(s.result && Array.isArray(s.result.exitcodes));
    Object.assign(root.dataset, {
      startMethod: method || "",
      stages: procs.map((p) => p.stage).join(","),
      exitcodes: procs.map((p) => (p.exitcode === null ? "" : String(p.exitcode))).join(","),
      startMs: known.join(","),
      meanStartMs: mean === null ? "" : mean.toFixed(3),
      final: String(final),
    });
  }

  return liveView(root, emptyState, apply, render);
}

/** "Process-3" -> "P-3": keeps the table narrow; the full name is on the timeline lane. */
function short(name) {
  return name.replace(/^Process-/, "P-");
}

/** @param {number} ms */
function fmtMs(ms) {
  return `${ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)} ms`;
}

function emptyState() {
  return {
    ...runFields(),
    allDone: false,
    method: "",
    /** @type {Map<string, {name: string, stage: string, exitcode: number|null, startMs: number|null, firstT: number}>} */
    procs: new Map(),
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {string} name
 * @param {number} t  the event's time: a process's row is placed by the earliest one seen
 */
function proc(s, name, t) {
  let p = s.procs.get(name);
  if (!p) {
    p = { name, stage: "created", exitcode: null, startMs: null, firstT: t };
    s.procs.set(name, p);
  }
  p.firstT = Math.min(p.firstT, t);
  return p;
}

/**
 * Move a process forward to `stage` (never back: events of different processes may arrive out of order).
 * @param {ReturnType<typeof proc>} p
 * @param {string} stage
 */
function advance(p, stage) {
  const order = STAGES.map((st) => st.id);
  if (order.indexOf(stage) > order.indexOf(p.stage)) p.stage = stage;
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) {
    if (ev.kind === "run.start") s.method = String(ev.data.start_method ?? "");
    return;
  }
  const d = ev.data;
  switch (ev.kind) {
    case "process.create":
      proc(s, String(d.process), ev.t);
      break;
    case "process.start":
      if (ev.proc !== "main") advance(proc(s, ev.proc, ev.t), "started");
      break;
    case "log":
      if (ev.proc === "main") s.allDone = true;
      else advance(proc(s, ev.proc, ev.t), "running");
      break;
    case "process.exit":
      advance(proc(s, ev.proc, ev.t), "exited");
      proc(s, ev.proc, ev.t).exitcode = typeof d.exitcode === "number" ? d.exitcode : null;
      break;
    case "process.join": {
      const p = proc(s, ev.proc, ev.t);
      advance(p, "joined");
      if (typeof d.exitcode === "number") p.exitcode = d.exitcode;
      if (typeof d.start_ms === "number") p.startMs = d.start_ms;
      break;
    }
  }
}
