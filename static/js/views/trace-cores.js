// views/trace-cores.js: the GIL lesson's question asked of a traced program: how many cores did its
// threads keep busy, and how many its child processes? Each thread's thread.exit carries the CPU seconds
// it used (time.thread_time) and each child's own process.exit the CPU seconds of the whole process
// (time.process_time); their lanes' first start and last end give the wall seconds. CPU seconds per wall
// second is how many cores a group kept busy together, as the GIL view shows for the lesson's phases.
// Drawn with the GIL view's bars (views-advanced.css .gil-*). Only what ended with its CPU time counts:
// a process killed by a signal says nothing of its CPU.
// Test hooks on the section: data-threads / data-processes (how many counted), data-threads-busy /
// data-processes-busy (cores, one decimal), data-threads-s / data-processes-s (wall seconds),
// data-verdict ("processes-more", "threads-more", "about-equal", "waiting"). Shown only for a program
// that has both: most traced programs use one or the other, and a lone bar compares nothing.

import { h } from "../dom.js";
import { t } from "../i18n.js";

const CLEAR = 1.3; // cores busy at least this many times the other's: a clear difference
const IDLE = 0.5; // both below this: mostly waiting (sleep, I/O), neither kept a core busy
const KINDS = /** @type {const} */ (["threads", "processes"]);

/** @typedef {{start?: number, end?: number, cpu?: number}} Span  t in ns, cpu in seconds */

export function coresState() {
  return {
    /** @type {Map<string, Span>} lane -> its span */ threads: new Map(),
    /** @type {Map<string, Span>} */ processes: new Map(),
  };
}

/**
 * @param {ReturnType<typeof coresState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
export function applyCores(s, ev) {
  const k = ev.kind;
  if (k !== "thread.start" && k !== "thread.exit" && k !== "process.start" && k !== "process.exit") return;
  const lane = `${ev.pid}/${ev.proc}`;
  const group = k.startsWith("thread.") ? s.threads : s.processes;
  const span = group.get(lane) ?? {};
  group.set(lane, span);
  if (k.endsWith(".start")) span.start = ev.t;
  else if (typeof ev.data?.cpu_s === "number") {
    // the thread's or process's own last word; a parent's process.exit for a killed child has no cpu_s
    span.end = ev.t;
    span.cpu = ev.data.cpu_s;
  }
}

/**
 * Wall seconds from the group's first start to its last end, CPU seconds summed, over what ended.
 * @param {Map<string, Span>} group
 */
function summary(group) {
  const done = [...group.values()].filter((x) => x.start !== undefined && x.end !== undefined && x.cpu !== undefined);
  if (!done.length) return null;
  const first = Math.min(...done.map((x) => /** @type {number} */ (x.start)));
  const last = Math.max(...done.map((x) => /** @type {number} */ (x.end)));
  const wall = Math.max(1e-6, (last - first) / 1e9);
  const cpu = done.reduce((sum, x) => sum + /** @type {number} */ (x.cpu), 0);
  return { n: done.length, wall, cpu, busy: cpu / wall };
}

/**
 * @param {ReturnType<typeof summary>} th
 * @param {ReturnType<typeof summary>} p
 * @returns {{id: string, tone: string, text: string, why: string}}
 */
function judge(th, p) {
  if (!th || !p) return { id: "", tone: "pending", text: "", why: "" }; // not drawn (renderCores)
  // No "why": sleeping or waiting on I/O looks like this, and so does a CPU-bound job on a machine
  // too busy to give it its cores; the CPU seconds cannot tell which.
  if (th.busy < IDLE && p.busy < IDLE) return { id: "waiting", tone: "even", text: t("trace.coresWaiting"), why: "" };
  const ratio = Math.max(th.busy, p.busy) / Math.max(Math.min(th.busy, p.busy), 1e-9);
  if (ratio < CLEAR) return { id: "about-equal", tone: "even", text: t("trace.coresEqual"), why: "" };
  if (p.busy > th.busy) {
    return { id: "processes-more", tone: "good", text: t("trace.coresProcessesMore", { r: ratio.toFixed(1) }), why: t("gil.cpuWhy") };
  }
  return { id: "threads-more", tone: "good", text: t("trace.coresThreadsMore", { r: ratio.toFixed(1) }), why: "" };
}

/**
 * The section, or null unless both threads and child processes ended with their CPU time: a comparison,
 * as in the GIL lesson; a program with only one of them (most) is not given a panel it does not ask for.
 * @param {ReturnType<typeof coresState>} s
 */
export function renderCores(s) {
  const sums = { threads: summary(s.threads), processes: summary(s.processes) };
  if (!sums.threads || !sums.processes) return null;
  const longest = Math.max(...KINDS.map((kind) => sums[kind]?.wall ?? 0));
  const v = judge(sums.threads, sums.processes);
  /** @type {Record<string, string>} */
  const dataset = { verdict: v.id };
  const cols = KINDS.map((kind) => {
    const x = sums[kind];
    dataset[kind] = String(x?.n ?? 0);
    dataset[`${kind}Busy`] = x ? x.busy.toFixed(1) : "";
    dataset[`${kind}S`] = x ? x.wall.toFixed(3) : "";
    const bar = h("div", { class: `gil-bar ${kind}` });
    bar.style.height = x ? `${Math.max(2, (100 * x.wall) / longest)}%` : "0";
    return h("div", { class: "gil-col", dataset: { kind } },
      h("div", { class: "gil-secs", text: x ? `${x.wall.toFixed(2)} s` : "–" }),
      h("div", { class: "gil-well" }, bar),
      h("div", { class: "gil-kind", text: t(kind === "threads" ? "trace.coresThreads" : "trace.coresProcesses", { n: x?.n ?? 0 }) }),
      h("div", { class: "gil-busy", title: t("gil.busyTitle"), text: x ? t("gil.busy", { n: x.busy.toFixed(1) }) : "" }));
  });
  return h("section", { class: "view-section trace-cores", dataset },
    h("h4", { text: t("trace.cores") }),
    h("div", { class: "gil-job" }, h("div", { class: "gil-bars" }, ...cols)),
    h("div", { class: `gil-verdict ${v.tone}`, "data-verdict-icon": v.tone === "good" ? "✓" : "⚠" },
      h("span", { class: "gil-verdict-main", text: v.text }),
      v.why ? h("span", { class: "gil-why", text: v.why }) : ""),
    h("p", { class: "dim", text: t("trace.coresNote") }));
}
