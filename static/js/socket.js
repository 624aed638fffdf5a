// socket.js: a WebSocket that reconnects with exponential backoff and hands over parsed JSON frames.
// The wait before the next attempt doubles from MIN_DELAY up to MAX_DELAY (plus up to 30% jitter, so a
// room of browsers dropped at once does not come back at once) and starts short again once frames flow.
//
// The server compresses each frame once for all its viewers (app/frames.py, docs/scale.md): a binary
// message is raw deflate of the JSON, inflated here with DecompressionStream("deflate-raw"); a text
// message is the JSON itself. Inflating is asynchronous, so frames (and then the close) are handed on
// through one promise chain, in the order they came. A browser that cannot inflate raw deflate asks
// for text frames instead (?encoding=json).

/**
 * @typedef {object} SocketOptions
 * @property {() => string} url            URL to (re)connect to; called before every attempt.
 * @property {(frame: any) => void} onFrame each frame's parsed JSON, in the order the frames came
 * @property {(ev: CloseEvent) => boolean} [shouldReconnect] false stops for good (default: true)
 * @property {(state: "connecting"|"open"|"waiting"|"closed") => void} [onState]
 */

const MIN_DELAY = 500;
const MAX_DELAY = 10_000;
/** DecompressionStream with "deflate-raw" (Chromium 103+, Firefox 113+, Safari 16.4+): older ones
 * have the stream but not the format, and must ask for JSON too. */
const CAN_INFLATE = (() => {
  try {
    new DecompressionStream("deflate-raw");
    return true;
  } catch {
    return false;
  }
})();

/**
 * The URL with ?encoding=json when this browser cannot inflate (the server then sends JSON text).
 * @param {string} url
 */
export function withEncoding(url) {
  if (CAN_INFLATE) return url;
  return `${url}${url.includes("?") ? "&" : "?"}encoding=json`;
}

/**
 * A frame's JSON text: a binary message inflated (raw deflate), a text message as it is.
 * @param {string|ArrayBuffer} data
 * @returns {Promise<string>}
 */
export async function frameText(data) {
  if (typeof data === "string") return data;
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Response(stream).text();
}

export class ReconnectingSocket {
  /** @param {SocketOptions} opts */
  constructor(opts) {
    this.opts = opts;
    /** @type {WebSocket|null} */
    this.ws = null;
    this.delay = MIN_DELAY;
    this.stopped = false;
    /** connection attempts so far, the first one included */
    this.attempts = 0;
    /** @type {number|undefined} */
    this.timer = undefined;
    /** frames being inflated, then the close: handed on in the order they arrived */
    this.chain = Promise.resolve();
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    this.attempts++;
    this.opts.onState?.("connecting");
    const ws = new WebSocket(withEncoding(this.opts.url()));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.opts.onState?.("open");
    });
    ws.addEventListener("message", (ev) => {
      this.delay = MIN_DELAY; // data flows: the next outage starts from a short wait again
      const text = frameText(ev.data);
      text.catch(() => {}); // a frame that cannot be inflated is skipped below, not an uncaught error
      this.next(async () => {
        let frame;
        try {
          frame = JSON.parse(await text);
        } catch {
          return; // not JSON, or not deflate: skipped, as a frame that cannot be read
        }
        if (!this.stopped) this.opts.onFrame(frame);
      });
    });
    ws.addEventListener("close", (ev) => {
      this.next(() => this.closed(ws, ev));
    });
  }

  /**
   * Run `step` after every earlier frame (and close) has been handed on. A step that throws is
   * reported as an uncaught error, as a throwing listener would be, and the chain goes on: one bad
   * frame must not silence the frames after it, or the close.
   * @param {() => unknown} step
   */
  next(step) {
    this.chain = this.chain.then(step).catch((err) => {
      if (typeof reportError === "function") reportError(err);
      else window.setTimeout(() => { throw err; });
    });
  }

  /**
   * The connection has closed, and every frame it brought has been handed on.
   * @param {WebSocket} ws
   * @param {CloseEvent} ev
   */
  closed(ws, ev) {
    if (this.ws !== ws) return;
    this.ws = null;
    const again = !this.stopped && (this.opts.shouldReconnect?.(ev) ?? true);
    if (!again) {
      this.stopped = true;
      this.opts.onState?.("closed");
      return;
    }
    this.opts.onState?.("waiting");
    const jitter = Math.random() * 0.3 * this.delay;
    this.timer = window.setTimeout(() => this.connect(), this.delay + jitter);
    this.delay = Math.min(MAX_DELAY, this.delay * 2);
  }

  /** Connection attempts after the first one. */
  get reconnects() {
    return Math.max(0, this.attempts - 1);
  }

  /** Close for good; no more frames or reconnects. */
  stop() {
    this.stopped = true;
    window.clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    // Closing a socket that is still connecting makes the browser log an error: wait for it to open.
    if (ws.readyState === WebSocket.CONNECTING) ws.addEventListener("open", () => ws.close(1000));
    else if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  }
}
