// presence/link.js: the REST calls and WebSockets of presenter follow (docs/api.md, "Presenter and
// audience"), and what this tab remembers across page loads (sessionStorage): the presentation it
// gives ({code, key, url}) or the code of the one it follows. An audience browser's answers carry a
// random client id, kept in localStorage, so a second answer replaces the first.

import { ApiError, wsUrl } from "../api.js";
import { ReconnectingSocket } from "../socket.js";

const PRESENTING = "mpscope.presenting";
const FOLLOWING = "mpscope.following";
const CLIENT = "mpscope.client";

/** @typedef {{code: string, key: string, join_url: string}} Presentation */

/** @param {Storage} store @param {string} key @returns {string|null} */
function read(store, key) {
  try {
    return store.getItem(key);
  } catch {
    return null; // storage disabled: the choice lasts for this page only
  }
}

/** @param {Storage} store @param {string} key @param {string|null} value */
function write(store, key, value) {
  try {
    if (value === null) store.removeItem(key);
    else store.setItem(key, value);
  } catch {
    // as above
  }
}

/** @returns {Presentation|null} */
export function presenting() {
  try {
    const p = JSON.parse(read(sessionStorage, PRESENTING) ?? "null");
    return p && typeof p.code === "string" && typeof p.key === "string" ? p : null;
  } catch {
    return null;
  }
}

/** @param {Presentation|null} p */
export function setPresenting(p) {
  write(sessionStorage, PRESENTING, p ? JSON.stringify(p) : null);
}

/** @returns {string} the join code this tab follows, "" for none */
export function following() {
  return read(sessionStorage, FOLLOWING) ?? "";
}

/** @param {string} code "" stops following */
export function setFollowing(code) {
  write(sessionStorage, FOLLOWING, code || null);
}

/** @returns {string} this browser's random answer id */
export function clientId() {
  let id = read(localStorage, CLIENT);
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    write(localStorage, CLIENT, id);
  }
  return id;
}

/**
 * @param {string} path
 * @param {string} method
 * @param {any} [body]
 * @param {string} [key] the presenter key
 * @returns {Promise<any>}
 */
async function call(path, method, body, key) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["X-Presenter-Key"] = key;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) throw new ApiError(res.status, data && typeof data === "object" ? data.detail : data);
  return data;
}

const at = (/** @type {string} */ code) => encodeURIComponent(code);

/** @returns {Promise<Presentation>} */
export const startPresenting = () => call("/api/present", "POST");
/** @param {Presentation} p */
export const stopPresenting = (p) => call(`/api/present/${at(p.code)}`, "DELETE", undefined, p.key);
/** @param {Presentation} p @param {any} view */
export const pushView = (p, view) => call(`/api/present/${at(p.code)}/view`, "POST", view, p.key);
/** @param {Presentation} p @param {{question: string, kind: string, choices: string[]}} poll */
export const openPoll = (p, poll) => call(`/api/present/${at(p.code)}/poll`, "POST", poll, p.key);
/** @param {Presentation} p @param {number|null} answer */
export const closePoll = (p, answer) => call(`/api/present/${at(p.code)}/poll/close`, "POST", { answer }, p.key);
/** @param {string} code @returns {Promise<any>} what the audience sees */
export const followState = (code) => call(`/api/follow/${at(code)}`, "GET");
/** @param {string} code @param {number} poll @param {number} answer */
export const sendAnswer = (code, poll, answer) =>
  call(`/api/follow/${at(code)}/answer`, "POST", { poll, client: clientId(), answer });

/**
 * The presentation's frames ({code, view, poll, followers}); the presenter's (with its key) carry the
 * poll's live tally. Stops for good when the presentation ends (1000) or is unknown (4404, 4403).
 * @param {string} code
 * @param {string|null} key
 * @param {(frame: any) => void} onFrame
 * @param {(reason: string) => void} onEnd
 * @returns {ReconnectingSocket}
 */
export function connect(code, key, onFrame, onEnd) {
  const path = key ? `/ws/present/${at(code)}?key=${encodeURIComponent(key)}` : `/ws/follow/${at(code)}`;
  return new ReconnectingSocket({
    url: () => wsUrl(path),
    onFrame: (frame) => {
      if (frame && typeof frame === "object" && !Array.isArray(frame)) onFrame(frame);
    },
    shouldReconnect: (ev) => {
      const over = ev.code === 1000 || ev.code === 1008 || ev.code === 4404 || ev.code === 4403;
      if (over) onEnd(ev.reason || String(ev.code));
      return !over;
    },
  });
}
