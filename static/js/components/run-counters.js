// components/run-counters.js: the open run's counters, big enough for the back of a lecture hall:
// events per second, events dropped, viewers following the run live, and what reporting cost the
// run's processes (mpscope's own overhead, from their reporter.stats events).
// Test hooks on the root: data-rate (events/s, rounded), data-rate-mode ("live" | "average" | ""),
// data-dropped, data-viewers, data-emits, data-emit-us (mean µs per emit), data-emit-ms (total ms).

import { h } from "../dom.js";
import { fmtDuration, fmtInt } from "../format.js";
import { onLang, t } from "../i18n.js";

const WINDOW_MS = 1000; // events/s while live: what arrived in the last second
const TICK_MS = 250; // the live rate is re-read this often: a number changing every frame cannot be read
const ENDED = new Set(["succeeded", "failed", "cancelled"]);

export class RunCounters {
  /** @param {HTMLElement} root a <dl> */
  constructor(root) {
    this.root = root;
    this.raf = 0;
    /** @type {number|undefined} */
    this.timer = undefined;
    const tile = (/** @type {string} */ key) => {
      const value = h("dd", { class: "counter-value" });
      const note = h("dd", { class: "counter-note" });
      return { el: h("div", { class: "counter" }, h("dt", { "data-i18n": key, text: t(key) }), value, note), value, note };
    };
    this.el = { rate: tile("counters.rate"), dropped: tile("counters.dropped"), viewers: tile("counters.viewers"), cost: tile("counters.cost") };
    root.replaceChildren(...Object.values(this.el).map((t) => t.el));
    this.reset("");
    onLang(() => this.render());
  }

  /** @param {string} runId */
  reset(runId) {
    this.runId = runId;
    /** @type {any} */
    this.run = {};
    /** @type {{at: number, n: number}[]} batches received in the last WINDOW_MS */
    this.recent = [];
    this.received = 0;
    this.liveRate = 0;
    /** @type {any} */ this.start = null;
    /** @type {any} */ this.end = null;
    this.stats = { processes: 0, emits: 0, emitNs: 0, timed: 0 };
    this.peakViewers = 0;
    this.stopTicking();
    this.render();
  }

  /** @param {any} run a run object (REST or lobby) */
  setRun(run) {
    if (run.id !== this.runId) return;
    this.run = { ...this.run, ...run };
    this.peakViewers = Math.max(this.peakViewers, run.viewers ?? 0);
    this.schedule();
  }

  /** @param {import("../run-stream.js").RunEvent[]} events */
  onEvents(events) {
    this.recent.push({ at: performance.now(), n: events.length });
    this.received += events.length;
    for (const ev of events) {
      if (ev.kind === "reporter.stats") {
        this.stats.processes++;
        this.stats.emits += Number(ev.data.emits) || 0;
        this.stats.emitNs += Number(ev.data.emit_ns) || 0;
        // emit_ns leaves out each process's first emit (it also starts the queue's feeder thread).
        this.stats.timed += "first_emit_ns" in ev.data ? Math.max(0, (Number(ev.data.emits) || 0) - 1) : Number(ev.data.emits) || 0;
      } else if (ev.kind === "run.start") this.start = ev;
      else if (ev.kind === "run.end") this.end = ev;
    }
    if (this.live()) this.startTicking();
    else this.stopTicking();
    this.schedule();
  }

  /** The run is going and its stream flows: the rate is measured, not averaged. */
  live() {
    return !this.end && !ENDED.has(this.run.status) && this.received > 0;
  }

  startTicking() {
    if (this.timer !== undefined) return;
    this.tick();
    this.timer = window.setInterval(() => this.tick(), TICK_MS);
  }

  stopTicking() {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-read the live rate: events received over the last second. */
  tick() {
    const now = performance.now();
    while (this.recent.length && this.recent[0].at <= now - WINDOW_MS) this.recent.shift();
    this.liveRate = this.recent.reduce((sum, b) => sum + b.n, 0) / (WINDOW_MS / 1000);
    if (!this.live()) this.stopTicking();
    this.render();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => ((this.raf = 0), this.render()));
  }

  /** The run's average rate once it has ended: its events over its duration. @returns {{rate: number, seconds: number}|null} */
  average() {
    const end = this.end?.data ?? {};
    const count = end.event_count ?? this.run.event_count;
    const seconds =
      this.start && this.end ? (this.end.t - this.start.t) / 1e9
      : this.run.started_at && this.run.ended_at ? this.run.ended_at - this.run.started_at
      : NaN;
    return typeof count === "number" && seconds > 0 ? { rate: count / seconds, seconds } : null;
  }

  render() {
    const e = this.el;
    const ended = Boolean(this.end) || ENDED.has(this.run.status);
    const avg = ended ? this.average() : null;
    const mode = avg ? "average" : this.live() ? "live" : "";
    const rate = avg ? avg.rate : mode === "live" ? this.liveRate : 0;
    show(e.rate, mode ? fmtInt(Math.round(rate)) : "–",
      mode === "live" ? t("counters.lastSecond") : avg ? t("counters.average", { duration: fmtDuration(avg.seconds) }) : t("counters.waiting"));

    const dropped = Math.max(this.end?.data.dropped_events ?? 0, this.run.dropped_events ?? 0);
    show(e.dropped, fmtInt(dropped), t(dropped > 0 ? "counters.lost" : "counters.noneLost"));
    e.dropped.el.classList.toggle("bad", dropped > 0);
    e.dropped.el.classList.toggle("good", dropped === 0);

    const viewers = this.run.viewers;
    show(e.viewers, typeof viewers === "number" ? fmtInt(viewers) : "–",
      this.peakViewers > (viewers ?? 0) ? t("counters.followingPeak", { n: fmtInt(this.peakViewers) }) : t("counters.following"));

    const { processes, emits, emitNs, timed } = this.stats;
    const us = timed ? emitNs / timed / 1000 : 0;
    show(e.cost, emits ? `${us.toFixed(us < 10 ? 2 : 1)} µs` : "–",
      emits ? t("counters.perEmit", { n: fmtInt(emits), duration: fmtDuration(emitNs / 1e9) }) : t("counters.measured"));
    const title = emits ? t("counters.costTitle", { n: fmtInt(processes) }) : "";
    if (e.cost.el.title !== title) e.cost.el.title = title;

    const hooks = {
      rate: String(Math.round(rate)),
      rateMode: mode,
      dropped: String(dropped),
      viewers: String(viewers ?? ""),
      emits: String(emits),
      emitUs: us.toFixed(3),
      emitMs: (emitNs / 1e6).toFixed(3),
    };
    for (const [key, value] of Object.entries(hooks)) if (this.root.dataset[key] !== value) this.root.dataset[key] = value;
  }
}

/**
 * Update a tile, touching the DOM only where the text changed (this runs every frame while events flow).
 * @param {{value: HTMLElement, note: HTMLElement}} tile
 * @param {string} value
 * @param {string} note
 */
function show(tile, value, note) {
  if (tile.value.textContent !== value) tile.value.textContent = value;
  if (tile.note.textContent !== note) tile.note.textContent = note;
}
