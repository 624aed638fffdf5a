// views/trace.js: the shared-state panel of a traced program (`mpscope trace script.py`): whatever
// primitives it used, each as the events say it is now: processes and threads, locks (holder and waiters), values,
// arrays, queues (depth, blocked producers and consumers), pipes, shared memory segments, Manager calls,
// Pool tasks per worker, Events, Barriers and Conditions, the cores its threads and processes kept busy,
// and a verdict (its exit code, events dropped). Derived from the events alone, so replay shows any moment.

import { h, replace } from "../dom.js";
import { fmtInt, fmtValue } from "../format.js";
import { t } from "../i18n.js";
import { applyRun, liveView, noResult, runFields, verdict } from "./live-view.js";
import { applyCores, coresState, renderCores } from "./trace-cores.js";

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const root = h("div", { class: "view view-trace", dataset: { view: "trace" } });
  const body = h("div", { class: "view-body" });
  const said = verdict("view-verdict"); // outside what each render replaces: a live region stays put
  root.append(said.el, body); // first: on a phone the summary comes before the long tables
  container.append(root);
  return liveView(root, emptyState, apply, (s) => (judge(s, said), render(root, body, s)));
}

/**
 * How the program ended, in words and an icon.
 * @param {ReturnType<typeof emptyState>} s
 * @param {ReturnType<typeof verdict>} said
 */
function judge(s, said) {
  const r = s.result;
  if (!s.ended && !r) said.set("pending", t("trace.soFar", { n: fmtInt(s.procs.size) }));
  else if (!r) said.set("bad", noResult(s.endStatus));
  else if (Number(r.exitcode ?? 0) !== 0) said.set("bad", t("trace.exitBad", { code: String(r.exitcode) }));
  else if (r.dropped_events || r.instrumentation_errors) {
    said.set("even", t("trace.exitDropped", { dropped: fmtInt(r.dropped_events ?? 0), errors: fmtInt(r.instrumentation_errors ?? 0) }));
  } else said.set("good", t("trace.exitOk"));
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {Map<string, {name: string, pid: number, exit?: number}>} */ procs: new Map(),
    /** @type {Map<string, {name: string, pid: number, exit?: number}>} */ threads: new Map(),
    /** @type {Map<string, {holder: string, waiting: Set<string>, taken: number, family: string, inside?: number}>} */ locks: new Map(),
    /** @type {Map<string, {value: any, writes: number, reads: number, by: string, t: number}>} */ values: new Map(),
    /** @type {Map<string, any[]>} */ arrays: new Map(),
    /** @type {Map<string, number[]>} */ arrayTimes: new Map(), // when each shown item was written

    /** @type {Map<string, {put: number, got: number, depth?: number, waitPut: Set<string>, waitGet: Set<string>, last?: any}>} */ queues: new Map(),
    /** @type {Map<string, {sent: number, received: number, last?: any, waiting: Set<string>}>} */ pipes: new Map(),
    /** @type {Map<string, {calls: number, us: number, last: string}>} */ managers: new Map(),
    /** @type {Map<string, {started: number, done: number}>} */ workers: new Map(),
    /** @type {Map<string, {kind: string, state: string, waiting: Set<string>}>} */ syncs: new Map(),
    /** @type {Map<string, {size?: number, state: string, open: Set<string>}>} */ segments: new Map(),
    results: 0,
    cores: coresState(), // threads against processes: cores each kept busy (trace-cores.js)
  };
}

/** @param {ReturnType<typeof emptyState>} s @param {import("../run-stream.js").RunEvent} ev */
function apply(s, ev) {
  const d = ev.data ?? {};
  const who = ev.proc;
  const lane = `${ev.pid}/${ev.proc}`;
  const k = ev.kind;
  applyCores(s.cores, ev);
  // a thread's lane is "<process>/<thread>" (docs/events.md): counted as a thread, not a process
  const lanes = ev.proc.includes("/") ? s.threads : s.procs;
  if (!k.startsWith("run.") && ev.proc !== "mpscope" && !lanes.has(lane)) lanes.set(lane, { name: ev.proc, pid: ev.pid });
  if (k === "thread.exit") {
    const th = s.threads.get(lane);
    if (th) th.exit = 0;
  } else if (k === "process.exit") {
    const p = s.procs.get(lane);
    if (p) p.exit = d.exitcode;
  } else if (k.startsWith("lock.") || k.startsWith("semaphore.")) {
    const family = k.split(".")[0];
    const name = String(d.lock ?? d.semaphore);
    const l = s.locks.get(name) ?? { holder: "", waiting: new Set(), taken: 0, family };
    s.locks.set(name, l);
    if (k.endsWith(".wait")) l.waiting.add(who);
    else if (k.endsWith(".acquired")) {
      l.waiting.delete(who);
      l.holder = who;
      l.taken++;
    } else if (k.endsWith(".released")) {
      if (l.holder === who) l.holder = "";
    } else if (k.endsWith(".timeout")) l.waiting.delete(who);
    if (typeof d.inside === "number") l.inside = d.inside;
  } else if (k === "value.read" || k === "value.write") {
    const v = s.values.get(String(d.name)) ?? { value: undefined, writes: 0, reads: 0, by: "", t: -Infinity };
    // Each process's events come in batches, so the last to arrive is not always the last done: the
    // value shown is the latest by the processes' shared clock (else a race's final count could be wrong).
    const latest = !(ev.t < v.t);
    if (latest) (v.value = d.value), (v.t = ev.t);
    if (k === "value.write") (v.writes++, latest && (v.by = who));
    else v.reads++;
    s.values.set(String(d.name), v);
  } else if ((k === "array.write" || k === "array.read") && typeof d.index === "number" && d.index < 4096) {
    const arr = s.arrays.get(String(d.name)) ?? [];
    const at = s.arrayTimes.get(String(d.name)) ?? [];
    if (!(ev.t < (at[d.index] ?? -Infinity))) (arr[d.index] = d.value), (at[d.index] = ev.t); // latest by time, as above
    s.arrayTimes.set(String(d.name), at);
    s.arrays.set(String(d.name), arr);
  } else if (k.startsWith("queue.")) {
    const name = String(d.queue);
    const q = s.queues.get(name) ?? { put: 0, got: 0, waitPut: new Set(), waitGet: new Set() };
    s.queues.set(name, q);
    if (k === "queue.put") (q.put++, q.waitPut.delete(who), (q.last = d.item));
    else if (k === "queue.get") (q.got++, q.waitGet.delete(who));
    else if (k === "queue.wait_put") q.waitPut.add(who);
    else if (k === "queue.wait_get") q.waitGet.add(who);
    // Counted, not the events' own depth: processes' batches may arrive out of time order.
    q.depth = Math.max(0, q.put - q.got);
  } else if (k.startsWith("pipe.")) {
    const p = s.pipes.get(String(d.pipe)) ?? { sent: 0, received: 0, waiting: new Set() };
    s.pipes.set(String(d.pipe), p);
    if (k === "pipe.send") (p.sent++, (p.last = d.msg));
    else if (k === "pipe.recv") (p.received++, p.waiting.delete(who));
    else if (k === "pipe.wait") p.waiting.add(who);
  } else if (k === "manager.call") {
    const m = s.managers.get(String(d.target)) ?? { calls: 0, us: 0, last: "" };
    m.calls++;
    m.us += Number(d.us) || 0;
    m.last = String(d.method);
    s.managers.set(String(d.target), m);
  } else if (k === "pool.task.start" || k === "pool.task.end") {
    const w = s.workers.get(who) ?? { started: 0, done: 0 };
    if (k === "pool.task.start") w.started++;
    else w.done++;
    s.workers.set(who, w);
  } else if (k === "pool.result") s.results++;
  else if (/^(event|barrier|condition)\./.test(k)) {
    const [kind] = k.split(".");
    const name = String(d.event ?? d.barrier ?? d.condition);
    const x = s.syncs.get(name) ?? { kind, state: "", waiting: new Set() };
    s.syncs.set(name, x);
    if (k.endsWith(".wait")) x.waiting.add(who);
    else if (k === "event.passed" || k === "barrier.passed" || k === "condition.woken") x.waiting.delete(who);
    if (k === "event.set") x.state = "set";
    else if (k === "event.clear") x.state = "clear";
    else if (k === "barrier.wait") x.state = `${x.waiting.size}/${d.parties}`;
  } else if (k.startsWith("shm.")) {
    const seg = s.segments.get(String(d.segment)) ?? { state: "", open: new Set() };
    s.segments.set(String(d.segment), seg);
    if (typeof d.size === "number") seg.size = d.size;
    seg.state = k.slice(4);
    if (k === "shm.create" || k === "shm.attach") seg.open.add(who);
    else if (k === "shm.close") seg.open.delete(who);
  } else applyRun(s, ev);
}

/**
 * @param {HTMLElement} root the view (its data-* hooks)
 * @param {HTMLElement} body what is redrawn
 * @param {ReturnType<typeof emptyState>} s
 */
function render(root, body, s) {
  const procs = [...s.procs.values()];
  const running = procs.filter((p) => p.exit === undefined).length;
  const names = (/** @type {Set<string>} */ set) => [...set].join(", ");
  Object.assign(root.dataset, { // hooks for tests and tools
    final: String(s.result != null),
    processes: String(procs.length),
    threads: String(s.threads.size),
    locks: [...s.locks.keys()].join(","),
    queues: [...s.queues.keys()].join(","),
    workers: String(s.workers.size),
    values: [...s.values].map(([name, v]) => `${name}=${v.value}`).join(","),
  });
  replace(
    body,
    h("div", { class: "big-row" },
      big(t("trace.processes"), fmtInt(procs.length)),
      big(t("trace.running"), fmtInt(running)),
      s.threads.size ? big(t("trace.threads"), fmtInt(s.threads.size)) : null,
      s.result ? big(t("trace.exitcode"), String(s.result.exitcode ?? "–")) : null),
    renderCores(s.cores),
    table(t("trace.locks"), [t("trace.name"), t("trace.holder"), t("trace.waiting"), t("trace.taken")],
      [...s.locks].map(([name, l]) => [name, l.family === "semaphore" ? t("trace.inside", { n: l.inside ?? "?" }) : l.holder || t("trace.free"), names(l.waiting), fmtInt(l.taken)]),
      (row) => (row[2] ? "blocked" : "")),
    table(t("trace.values"), [t("trace.name"), t("trace.value"), t("trace.writes"), t("trace.lastWriter")],
      [...s.values].map(([name, v]) => [name, fmtValue(v.value, 30), fmtInt(v.writes), v.by])),
    ...[...s.arrays].slice(0, 6).map(([name, arr]) => h("section", { class: "view-section" },
      h("h4", { text: `Array ${name}` }),
      h("ol", { class: "cells mono" }, ...Array.from({ length: Math.min(64, arr.length) }, (_, i) => h("li", { title: `[${i}]`, text: arr[i] === undefined ? "·" : fmtValue(arr[i], 8) }))))),
    table(t("trace.queues"), [t("trace.name"), t("trace.depth"), t("trace.putGot"), t("trace.blocked")],
      [...s.queues].map(([name, q]) => [name, fmtInt(q.depth ?? 0), `${fmtInt(q.put)} / ${fmtInt(q.got)}`, [q.waitPut.size ? t("trace.waitPut", { who: names(q.waitPut) }) : "", q.waitGet.size ? t("trace.waitGet", { who: names(q.waitGet) }) : ""].filter(Boolean).join("; ")]),
      (row) => (row[3] ? "blocked" : "")),
    table(t("trace.pipes"), [t("trace.name"), t("trace.sentRecv"), t("trace.lastMsg"), t("trace.waiting")],
      [...s.pipes].map(([name, p]) => [name, `${fmtInt(p.sent)} / ${fmtInt(p.received)}`, fmtValue(p.last, 30), names(p.waiting)])),
    table(t("trace.sync"), [t("trace.name"), t("trace.kind"), t("trace.state"), t("trace.waiting")],
      [...s.syncs].map(([name, x]) => [name, x.kind, x.state, names(x.waiting)])),
    table(t("trace.shm"), [t("trace.segment"), t("trace.size"), t("trace.state"), t("trace.shmOpen")],
      [...s.segments].map(([name, x]) => [name, x.size === undefined ? "?" : fmtInt(x.size), x.state, names(x.open)])),
    s.segments.size ? h("p", { class: "dim", text: t("trace.shmNote") }) : null,
    table(t("trace.manager"), [t("trace.proxy"), t("trace.calls"), t("trace.meanUs"), t("trace.lastCall")],
      [...s.managers].map(([name, m]) => [name, fmtInt(m.calls), fmtInt(Math.round(m.us / m.calls)), m.last])),
    table(t("trace.pool"), [t("trace.worker"), t("trace.tasks"), t("trace.done"), ""],
      [...s.workers].map(([name, w]) => [name, fmtInt(w.started), fmtInt(w.done), ""])),
    s.result ? h("p", { class: "dim", text: t("trace.summary", { dropped: s.result.dropped_events ?? 0, errors: s.result.instrumentation_errors ?? 0 }) }) : null,
  );
}

/** @param {string} label @param {string} value */
function big(label, value) {
  return h("div", { class: "big" }, h("div", { class: "big-value mono", text: value }), h("div", { class: "big-label", text: label }));
}

/**
 * A small table, or nothing when there are no rows.
 * @param {string} title @param {string[]} head @param {string[][]} rows
 * @param {(row: string[]) => string} [rowClass]
 */
function table(title, head, rows, rowClass) {
  if (!rows.length) return null;
  return h("section", { class: "view-section" },
    h("h4", { text: title }),
    h("table", { class: "trace-table" },
      h("thead", {}, h("tr", {}, ...head.map((x) => h("th", { text: x })))),
      h("tbody", {}, ...rows.slice(0, 40).map((row) => h("tr", { class: rowClass?.(row) ?? "" }, ...row.map((x, i) => h("td", { class: i === 0 ? "mono" : "", text: x })))))));
}
