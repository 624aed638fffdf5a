// timeline/store.js: every event of one run, indexed for drawing. One lane per (pid, proc) with typed
// arrays sorted by time, bars (spans) paired from start/end kinds, and the lost-update tracker.

import { Column, upperBound } from "./arrays.js";
import { LostTracker } from "./lost.js";
import { CATEGORIES, categoryOf, NO_TICK, SPAN } from "./palette.js";

/** Bars of one type in one lane, in start order; `end` is Infinity while open. */
export class Spans {
  constructor() {
    this.start = new Column(Float64Array, 16);
    this.end = new Column(Float64Array, 16);
    /** @type {string[]} lock name or task id */
    this.label = [];
    this.maxDur = 0;
    /** @type {Map<string, number>} label -> index of the open bar */
    this.open = new Map();
  }

  /** @param {string} label @param {number} t */
  begin(label, t) {
    if (this.open.has(label)) this.finish(label, t);
    this.open.set(label, this.start.n);
    this.start.push(t);
    this.end.push(Infinity);
    this.label.push(label);
  }

  /** @param {string} label @param {number} t @param {number} [fallbackStart] */
  finish(label, t, fallbackStart) {
    let i = this.open.get(label);
    if (i === undefined) {
      if (fallbackStart === undefined) return;
      this.begin(label, Math.min(fallbackStart, t)); // its start was dropped: draw from what we know
      i = /** @type {number} */ (this.open.get(label));
    }
    this.open.delete(label);
    const end = Math.max(t, this.start.a[i]);
    this.end.a[i] = end;
    this.maxDur = Math.max(this.maxDur, end - this.start.a[i]);
  }
}

export class Lane {
  /** @param {number} index @param {number} pid @param {string} proc */
  constructor(index, pid, proc) {
    this.index = index;
    this.pid = pid;
    this.proc = proc;
    this.t = new Column(Float64Array, 256);
    this.seq = new Column(Int32Array, 256);
    this.cat = new Column(Uint8Array, 256);
    /** @type {Spans[]} indexed by SPAN.* */
    this.spans = [new Spans(), new Spans(), new Spans(), new Spans()];
    /** @type {number|null} */
    this.exitcode = null;
    this.firstT = Infinity;
    /** display position (EventStore.rows) */
    this.row = index;
    this.thread = proc.includes("/");
  }

  /**
   * @param {import("../run-stream.js").RunEvent} ev
   * @returns {boolean} whether this is the lane's earliest event so far (the lane order may change)
   */
  add(ev) {
    const n = this.t.n;
    const i = n && this.t.a[n - 1] > ev.t ? upperBound(this.t.a, ev.t, 0, n) : n;
    this.t.insert(i, ev.t);
    this.seq.insert(i, ev.seq);
    this.cat.insert(i, categoryOf(ev.kind));
    const earlier = ev.t < this.firstT;
    if (earlier) this.firstT = ev.t;
    const d = ev.data;
    const S = this.spans;
    switch (ev.kind) {
      case "process.start":
      case "thread.start":
        if (!S[SPAN.LIFE].open.size && !S[SPAN.LIFE].start.n) S[SPAN.LIFE].begin("", ev.t);
        break;
      case "process.exit":
      case "thread.exit":
        S[SPAN.LIFE].finish("", ev.t, this.firstT);
        if (ev.kind === "process.exit") this.exitcode = typeof d.exitcode === "number" ? d.exitcode : null;
        for (const task of [...S[SPAN.TASK].open.keys()]) S[SPAN.TASK].finish(task, ev.t); // cut short by the exit
        break;
      case "lock.wait":
        S[SPAN.WAIT].begin(String(d.lock), ev.t);
        break;
      case "lock.acquired":
        S[SPAN.WAIT].finish(String(d.lock), ev.t);
        S[SPAN.HOLD].begin(String(d.lock), ev.t);
        break;
      case "lock.released":
        S[SPAN.HOLD].finish(String(d.lock), ev.t);
        break;
      case "lock.timeout": // acquire(timeout=...) gave up: the wait ends here
        S[SPAN.WAIT].finish(String(d.lock), ev.t);
        break;
      case "semaphore.wait": // a Semaphore(k) is drawn as a lock that k processes may hold at once
        S[SPAN.WAIT].begin(`semaphore ${d.semaphore}`, ev.t);
        break;
      case "semaphore.acquired":
        S[SPAN.WAIT].finish(`semaphore ${d.semaphore}`, ev.t);
        S[SPAN.HOLD].begin(`semaphore ${d.semaphore}`, ev.t);
        break;
      case "semaphore.released":
        S[SPAN.HOLD].finish(`semaphore ${d.semaphore}`, ev.t);
        break;
      case "barrier.wait": // waiting at a Barrier until every party arrived
        S[SPAN.WAIT].begin(`barrier ${d.barrier}`, ev.t);
        break;
      case "barrier.passed":
        S[SPAN.WAIT].finish(`barrier ${d.barrier}`, ev.t);
        break;
      case "queue.wait_put": // a put or get that blocks: a wait bar until it completes
      case "queue.wait_get":
        S[SPAN.WAIT].begin(`queue ${d.queue} ${ev.kind.slice(-3)}`, ev.t);
        break;
      case "queue.put":
      case "queue.get":
        S[SPAN.WAIT].finish(`queue ${d.queue} ${ev.kind.slice(-3)}`, ev.t);
        break;
      case "pool.task.start":
        S[SPAN.TASK].begin(String(d.task), ev.t);
        break;
      case "pool.task.end":
        S[SPAN.TASK].finish(String(d.task), ev.t);
        break;
    }
    return earlier;
  }
}

export class EventStore {
  constructor() {
    this.reset();
  }

  reset() {
    /** @type {import("../run-stream.js").RunEvent[]} indexed by seq */
    this.events = [];
    /** @type {Lane[]} in order of first appearance (Lane.index) */
    this.lanes = [];
    /** @type {Lane[]} in display order (Lane.row): by start time, threads under their process */
    this.rows = [];
    /** @type {Map<string, Lane>} */
    this.laneByKey = new Map();
    this.lost = new LostTracker();
    /** @type {Set<string>} tick categories seen (for the legend) */
    this.cats = new Set();
    /** @type {Set<number>} bar types seen (SPAN.*), lifetimes always */
    this.bars = new Set([SPAN.LIFE]);
    this.count = 0;
    this.maxT = 0;
    /** @type {number|null} t of run.end, once seen */
    this.endT = null;
    /** replay cursor time (ns): bars still open extend to it; 0 when not replaying */
    this.clock = 0;
    /** times of the scenario's own events (not run/process/thread start and exit): the "action" */
    this.actT = new Column(Float64Array, 1024);
  }

  /**
   * Add new events (seq order, already de-duplicated by the stream).
   * @param {import("../run-stream.js").RunEvent[]} events
   */
  add(events) {
    let reorder = false;
    for (const ev of events) {
      if (this.events[ev.seq]) continue;
      this.events[ev.seq] = ev;
      this.count++;
      if (ev.t > this.maxT) this.maxT = ev.t;
      if (ev.kind.startsWith("run.")) {
        if (ev.kind === "run.end") this.endT = Math.max(ev.t, this.maxT);
        continue; // run events belong to the run, not to a lane
      }
      const key = `${ev.pid}\u0000${ev.proc}`;
      let lane = this.laneByKey.get(key);
      if (!lane) {
        lane = new Lane(this.lanes.length, ev.pid, ev.proc);
        this.lanes.push(lane);
        this.laneByKey.set(key, lane);
      }
      if (lane.add(ev)) reorder = true;
      if (!ev.kind.startsWith("process.") && !ev.kind.startsWith("thread.")) this.actT.push(ev.t);
      const cat = categoryOf(ev.kind);
      if (cat !== NO_TICK) this.cats.add(CATEGORIES[cat].id);
      else if (/^(lock|semaphore)\./.test(ev.kind)) this.bars.add(ev.kind.endsWith(".wait") ? SPAN.WAIT : SPAN.HOLD);
      if (ev.kind.startsWith("queue.wait_")) this.bars.add(SPAN.WAIT);
      else if (ev.kind.startsWith("pool.task")) this.bars.add(SPAN.TASK);
      if (ev.kind === "value.write") this.lost.add(ev, lane.index);
    }
    if (reorder) this.order();
  }

  /** Sort rows: processes by their first event's time, each followed by its threads. */
  order() {
    const proc = new Map();
    for (const l of this.lanes) if (!l.thread) proc.set(l.pid, l);
    const key = (/** @type {Lane} */ l) => (proc.get(l.pid) ?? l).firstT;
    this.rows = [...this.lanes].sort(
      (a, b) => key(a) - key(b) || a.pid - b.pid || Number(a.thread) - Number(b.thread) || a.firstT - b.firstT || a.index - b.index,
    );
    this.rows.forEach((l, i) => (l.row = i));
  }

  /**
   * Where the action is: the range holding all but the outer 0.5% on each side of the scenario's own
   * events (a lone read after everything joined does not stretch it). Null when there is none.
   * @returns {[number, number]|null}
   */
  actionRange() {
    const n = this.actT.n;
    if (!n) return null;
    const t = this.actT.a.slice(0, n).sort();
    const cut = Math.floor(n * 0.005);
    return [t[cut], t[n - 1 - cut]];
  }

  /** Right end of the data: run.end's time once ended, else the newest event's (or the replay cursor). */
  get now() {
    return this.endT ?? Math.max(this.maxT, this.clock);
  }
}
