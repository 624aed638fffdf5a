// components/replay-bar.js: replay of a finished run from the events already in the page. The cursor
// is a prefix of the run's events in seq order (`index` of them shown) plus a time `t` (ns): playing
// moves `t` at the chosen speed and shows every event up to it; going back shows the prefix again from
// scratch (one batch). What is shown is up to the target (main.js: the timeline and the state view).
// Test hooks on the root: data-state ("off" | "paused" | "playing"), data-cursor-index (events shown),
// data-cursor-seq (seq of the last one shown, -1 for none), data-cursor-t (ns), data-total, data-speed,
// data-lane ("pid/proc" of the lane "next of" steps through, "" for none). Each change also fires
// "mp:replay" on the root (detail: {state, index, seq, t}), for whoever follows along. A screen reader
// hears it start, pause (and where: each step, each scrub once it settles) and stop (announce.js).

import { announce, settle } from "../announce.js";
import { h, replace } from "../dom.js";
import { fmtInt, fmtMs } from "../format.js";
import { onLang, t, translate } from "../i18n.js";

/** @typedef {import("../run-stream.js").RunEvent} RunEvent */

/**
 * @typedef {object} ReplayTarget
 * @property {(events: RunEvent[]) => void} show   show exactly these events (the run's first ones)
 * @property {(events: RunEvent[]) => void} add    show these events too (the next ones, seq order)
 * @property {(t: number|null, end: number) => void} cursor  cursor time (null: replay is off), run's end
 */

export const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10];

export class ReplayBar {
  /**
   * @param {HTMLElement} root
   * @param {ReplayTarget} target
   */
  constructor(root, target) {
    this.root = root;
    this.target = target;
    this.speed = 1;
    this.raf = 0;
    this.seekRaf = 0;
    this.build();
    this.reset();
    onLang(() => this.render());
  }

  /** A run opens: forget its events, replay off. */
  reset() {
    this.stopClock();
    /** @type {RunEvent[]} every event of the run, seq order */
    this.all = [];
    /** @type {number[]} running max of t over `all`: maxT[k-1] is when the first k events had all happened */
    this.maxT = [];
    this.active = false;
    this.playing = false;
    this.ended = false;
    this.index = 0;
    this.t = 0;
    /** @type {{pid: number, proc: string}|null} */
    this.lane = null;
    /** what a screen reader was last told: the state, and the position when paused */
    this.said = { state: "off", index: -1 };
    this.render();
  }

  /**
   * The stream's new events. Returns whether they should be shown now (false while replaying).
   * @param {RunEvent[]} events
   * @returns {boolean}
   */
  add(events) {
    for (const ev of events) {
      this.all.push(ev);
      this.maxT.push(Math.max(ev.t, this.maxT.length ? this.maxT[this.maxT.length - 1] : -Infinity));
      if (ev.kind === "run.end") this.ended = true;
    }
    this.render();
    return !this.active;
  }

  /** @param {{pid: number, proc: string}|null} lane the lane "next of" steps through */
  setLane(lane) {
    this.lane = lane;
    this.render();
  }

  get state() {
    return !this.active ? "off" : this.playing ? "playing" : "paused";
  }

  get total() {
    return this.all.length;
  }

  get startT() {
    return this.all.length ? this.all[0].t : 0;
  }

  get endT() {
    return this.total ? this.prefixT(this.total) : 0;
  }

  /** @param {number} k @returns {number} the time by which the first k events have all happened */
  prefixT(k) {
    return k > 0 ? this.maxT[k - 1] : this.startT;
  }

  /** Enter replay with everything shown (cursor at the end); nothing is redrawn. */
  enter() {
    if (this.active || !this.ended) return false;
    this.active = true;
    this.index = this.total;
    this.t = this.endT;
    return true;
  }

  /** Leave replay: show the rest of the events, no cursor. */
  exit() {
    if (!this.active) return;
    this.stopClock();
    if (this.index < this.total) this.target.add(this.all.slice(this.index));
    this.active = false;
    this.target.cursor(null, 0);
    this.render();
  }

  /**
   * Show the first `k` events, cursor at time `t` (default: when the k-th happened).
   * @param {number} k
   * @param {number} [t]
   */
  seekIndex(k, t) {
    if (!this.active && !this.enter()) return;
    k = Math.max(0, Math.min(this.total, k));
    if (k < this.index) this.target.show(this.all.slice(0, k));
    else if (k > this.index) this.target.add(this.all.slice(this.index, k));
    this.index = k;
    this.t = t ?? this.prefixT(k);
    this.target.cursor(this.t, this.endT);
    this.render();
  }

  /** Cursor at time `t`: every event by then is shown. @param {number} t */
  seekTime(t) {
    let lo = 0;
    let hi = this.total;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.maxT[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    this.seekIndex(lo, Math.max(this.startT, Math.min(this.endT, t)));
  }

  /** Cursor right after the event with this seq. @param {number} seq */
  seekSeq(seq) {
    const k = this.all.findIndex((ev) => ev.seq > seq);
    this.seekIndex(k < 0 ? this.total : k);
  }

  /** One event forward (+1) or back (-1); pauses. @param {number} dir */
  step(dir) {
    if (!this.active) {
      if (!this.enter()) return;
      if (dir > 0) this.seekIndex(0);
    }
    this.pause();
    this.seekIndex(this.index + (dir > 0 ? 1 : -1));
  }

  /** To the next event of the selected lane; pauses. */
  stepLane() {
    const lane = this.lane;
    if (!lane) return;
    if (!this.active) {
      if (!this.enter()) return;
      this.seekIndex(0);
    }
    this.pause();
    for (let i = this.index; i < this.total; i++) {
      const ev = this.all[i];
      if (ev.pid === lane.pid && ev.proc === lane.proc && !ev.kind.startsWith("run.")) return this.seekIndex(i + 1);
    }
  }

  play() {
    if (!this.active) {
      if (!this.enter()) return;
      this.seekIndex(0);
    } else if (this.index >= this.total) this.seekIndex(0); // at the end: from the start again
    this.playing = true;
    let last = performance.now();
    const tick = (/** @type {number} */ now) => {
      this.raf = 0;
      if (!this.playing) return;
      const t = this.t + (now - last) * 1e6 * this.speed;
      last = now;
      this.seekTime(t);
      if (t >= this.endT) this.pause();
      else this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
    this.render();
  }

  pause() {
    this.stopClock();
    this.render();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  stopClock() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    cancelAnimationFrame(this.seekRaf);
    this.raf = this.seekRaf = 0;
  }

  build() {
    const btn = (/** @type {string} */ cls, /** @type {() => void} */ fn) =>
      h("button", { type: "button", class: `rb-btn ${cls}`, on: { click: fn } });
    this.el = {
      play: btn("rb-play", () => this.toggle()),
      speed: h("select", { class: "rb-speed", "aria-label": t("replay.speedLabel"), "data-i18n-aria-label": "replay.speedLabel", on: { change: () => this.setSpeed() } },
        ...SPEEDS.map((s) => h("option", { value: String(s), selected: s === this.speed, text: `${s}×` }))),
      next: btn("rb-next", () => this.step(1)),
      nextLane: btn("rb-next-lane", () => this.stepLane()),
      scrub: h("input", { type: "range", class: "rb-scrub", min: "0", max: "1", step: "any", value: "0", "aria-label": t("replay.position"), "data-i18n-aria-label": "replay.position" }),
      time: h("output", { class: "rb-time mono", "aria-live": "off" }), // said by tell(), not each frame
      exit: btn("rb-exit", () => this.exit()),
    };
    const e = this.el;
    e.scrub.addEventListener("input", () => {
      const t = Number(e.scrub.value);
      this.stopClock(); // pauses, and cancels a pending seek: the newest position wins
      this.seekRaf = requestAnimationFrame(() => ((this.seekRaf = 0), this.seekTime(t)));
    });
    Object.assign(e.next.dataset, { i18n: "replay.next", i18nTitle: "replay.nextTitle" });
    Object.assign(e.exit.dataset, { i18n: "replay.showAll", i18nTitle: "replay.showAllTitle" });
    replace(this.root,
      h("div", { class: "rb-controls", role: "group", "aria-label": t("replay.label"), "data-i18n-aria-label": "replay.label" },
        e.play, h("label", { class: "rb-speed-label" }, h("span", { "data-i18n": "replay.speed" }), " ", e.speed), e.next, e.nextLane, e.exit),
      h("div", { class: "rb-track" }, e.scrub, e.time));
    translate(this.root);
  }

  setSpeed() {
    this.speed = Number(this.el.speed.value) || 1;
    this.render();
  }

  render() {
    const e = this.el;
    const state = this.state;
    const last = this.active && this.index > 0 ? this.all[this.index - 1] : null;
    const seq = this.active ? (last ? last.seq : -1) : this.total ? this.all[this.total - 1].seq : -1;
    const now = this.active ? this.t : this.endT;
    this.root.hidden = !this.ended;
    Object.assign(this.root.dataset, {
      state,
      cursorIndex: String(this.active ? this.index : this.total),
      cursorSeq: String(seq),
      cursorT: String(Math.round(now)),
      total: String(this.total),
      speed: String(this.speed),
      lane: this.lane ? `${this.lane.pid}/${this.lane.proc}` : "",
    });
    e.play.textContent = t(state === "playing" ? "replay.pause" : state === "paused" ? "replay.play" : "replay.replay");
    e.play.title = t(state === "playing" ? "replay.pauseTitle" : "replay.playTitle");
    e.play.setAttribute("aria-pressed", String(state === "playing"));
    e.nextLane.textContent = this.lane ? t("replay.nextOf", { proc: this.lane.proc }) : t("replay.nextOfAny");
    e.nextLane.disabled = !this.lane;
    e.nextLane.title = this.lane ? t("replay.nextOfTitle", { proc: this.lane.proc, pid: this.lane.pid }) : t("replay.pickLane");
    e.exit.hidden = !this.active;
    e.scrub.min = String(this.startT);
    e.scrub.max = String(Math.max(this.endT, this.startT + 1));
    e.scrub.value = String(now);
    e.time.textContent = t("replay.time", {
      at: fmtMs(now - this.startT), end: fmtMs(this.endT - this.startT), i: fmtInt(this.active ? this.index : this.total), n: fmtInt(this.total),
    });
    this.tell(state, now);
    this.root.dispatchEvent(new CustomEvent("mp:replay", { detail: { state, index: this.index, seq, t: now } }));
  }

  /**
   * Tell a screen reader what changed: the state at once, a paused cursor's new place once it settles.
   * @param {string} state @param {number} now
   */
  tell(state, now) {
    const paused = () => t("replay.saidPaused", {
      at: fmtMs(now - this.startT), end: fmtMs(this.endT - this.startT), i: fmtInt(this.index), n: fmtInt(this.total),
    });
    if (state !== this.said.state) {
      announce(state === "playing" ? t("replay.saidPlaying", { speed: this.speed }) : state === "paused" ? paused() : t("replay.saidOff"));
    } else if (state === "paused" && this.index !== this.said.index) settle("replay", paused, 400);
    this.said = { state, index: this.index };
  }
}
