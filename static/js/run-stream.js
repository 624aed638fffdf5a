// run-stream.js: the live event stream of one run (/ws/runs/{id}), resumed with ?after=<last seq>.

import { wsUrl } from "./api.js";
import { ReconnectingSocket } from "./socket.js";

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
 * @typedef {object} StreamHandlers
 * @property {(events: RunEvent[]) => void} onEvents new events only, in seq order, never twice
 * @property {(state: string) => void} [onState] "connecting" | "open" | "waiting" | "closed" | "unknown"
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
    this.socket = new ReconnectingSocket({
      url: () => {
        const base = wsUrl(`/ws/runs/${encodeURIComponent(runId)}`);
        return this.lastSeq >= 0 ? `${base}?after=${this.lastSeq}` : base;
      },
      onFrame: (frame) => this.receive(frame),
      shouldReconnect: (ev) => {
        if (ev.code === 4404) {
          handlers.onState?.("unknown");
          return false;
        }
        // 1000 follows run.end: the story is complete. Anything else (1006, 1013, 1001...) resumes.
        return !(ev.code === 1000 || this.ended);
      },
      onState: (state) => handlers.onState?.(state),
    });
  }

  /** @param {any} frame */
  receive(frame) {
    if (!Array.isArray(frame)) return;
    const fresh = [];
    for (const ev of frame) {
      if (!ev || typeof ev.seq !== "number" || ev.seq <= this.lastSeq) continue; // resumed overlap
      this.lastSeq = ev.seq;
      if (ev.kind === "run.end") this.ended = true;
      if (!ev.data || typeof ev.data !== "object") ev.data = {};
      fresh.push(ev);
    }
    if (fresh.length) this.handlers.onEvents(fresh);
  }

  /** Stop listening (navigating away). */
  stop() {
    this.socket.stop();
  }
}
