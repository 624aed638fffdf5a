// run-stream.js: the live event stream of one run (/ws/runs/{id}), resumed with ?after=<last seq>.
//
// The server drops a viewer that falls too far behind (close 1013) and a network blip ends a connection
// abnormally (1006): either way, until the run has ended, the stream reconnects by itself (socket.js:
// backoff from 0.5 s doubling to a 10 s cap) with ?after=<the last seq it has>. The server then sends only
// what follows: the rest of the history and live events, or, for a run that ended meanwhile, the rest of
// its events, run.end and a normal close. Events are handed on once each, in seq order: an overlap is
// skipped (and counted), a jump is counted as a gap (the server never makes one). The stream stops for good
// on run.end, on a normal close (1000: the server has sent all there is) and on an unknown run (4404).

import { wsUrl } from "./api.js";
import { ReconnectingSocket } from "./socket.js";

/** A resumed connection that brings no frame for this long had nothing to catch up on. */
const QUIET_MS = 1000;

/**
 * @typedef {object} RunEvent
 * @property {string} run
 * @property {number} seq
 * @property {number} t     nanoseconds since the run started
 * @property {number} pid
 * @property {string} proc
 * @property {string} kind
 * @property {Record<string, any>} data
 */

/**
 * @typedef {object} StreamStats
 * @property {number} events      events handed on (each seq once)
 * @property {number} lastSeq     the last seq handed on (-1: none yet)
 * @property {number} reconnects  connection attempts after the first
 * @property {number} duplicates  events skipped because they were handed on already
 * @property {number} gaps        times a seq was missing before the next one (0 unless the server errs)
 * @property {boolean} ended      run.end has arrived
 * @property {string} state       the last state given to onState
 */

/**
 * @typedef {object} StreamHandlers
 * @property {(events: RunEvent[]) => void} onEvents new events only, in seq order, never twice
 * @property {(state: string) => void} [onState] "connecting" | "open" | "waiting" | "resuming" | "closed" |
 *   "unknown". "waiting": the connection is lost and another attempt is due; "resuming": reconnected, and
 *   catching up on what was missed ("open" follows with its first frame, or once it has been quiet).
 * @property {(stats: StreamStats) => void} [onStats] after every frame and state change
 */

export class RunStream {
  /**
   * @param {string} runId
   * @param {StreamHandlers} handlers
   */
  constructor(runId, handlers) {
    this.runId = runId;
    this.handlers = handlers;
    this.lastSeq = -1;
    this.ended = false;
    this.events = 0;
    this.duplicates = 0;
    this.gaps = 0;
    this.state = "";
    this.resuming = false;
    /** @type {number|undefined} */
    this.quiet = undefined;
    /** @type {ReconnectingSocket|null} null until the socket's constructor has returned */
    this.socket = null;
    this.socket = new ReconnectingSocket({
      url: () => {
        const base = wsUrl(`/ws/runs/${encodeURIComponent(runId)}`);
        return this.lastSeq >= 0 ? `${base}?after=${this.lastSeq}` : base;
      },
      onFrame: (frame) => this.receive(frame),
      shouldReconnect: (ev) => {
        if (ev.code === 4404) {
          this.setState("unknown");
          return false;
        }
        // 1000 follows run.end: the story is complete. Anything else (1006, 1013, 1001...) resumes.
        return !(ev.code === 1000 || this.ended);
      },
      onState: (state) => {
        window.clearTimeout(this.quiet);
        this.resuming = false;
        if (state === "open" && (this.socket?.reconnects ?? 0) > 0) this.resume();
        else this.setState(state);
      },
    });
  }

  /** Reconnected: catching up until the first frame, or until it has been quiet for QUIET_MS. */
  resume() {
    this.resuming = true;
    this.quiet = window.setTimeout(() => this.caughtUp(), QUIET_MS);
    this.setState("resuming");
  }

  caughtUp() {
    window.clearTimeout(this.quiet);
    if (!this.resuming) return;
    this.resuming = false;
    this.setState("open");
  }

  /** @param {string} state */
  setState(state) {
    this.state = state;
    this.handlers.onState?.(state);
    this.handlers.onStats?.(this.stats());
  }

  /** @returns {StreamStats} */
  stats() {
    return {
      events: this.events,
      lastSeq: this.lastSeq,
      reconnects: this.socket?.reconnects ?? 0,
      duplicates: this.duplicates,
      gaps: this.gaps,
      ended: this.ended,
      state: this.state,
    };
  }

  /** @param {any} frame */
  receive(frame) {
    if (!Array.isArray(frame)) return;
    const fresh = [];
    for (const ev of frame) {
      if (!ev || typeof ev.seq !== "number") continue;
      if (ev.seq <= this.lastSeq) {
        this.duplicates++; // resumed overlap: handed on already
        continue;
      }
      if (ev.seq > this.lastSeq + 1) this.gaps++;
      this.lastSeq = ev.seq;
      if (ev.kind === "run.end") this.ended = true;
      if (!ev.data || typeof ev.data !== "object") ev.data = {};
      fresh.push(ev);
    }
    this.events += fresh.length;
    if (fresh.length) this.handlers.onEvents(fresh);
    if (this.resuming) this.caughtUp();
    else this.handlers.onStats?.(this.stats());
  }

  /** Stop listening (navigating away). */
  stop() {
    window.clearTimeout(this.quiet);
    this.resuming = false;
    this.socket?.stop();
  }
}
