// api.js: the REST calls of docs/api.md, each returning parsed JSON or throwing an ApiError.

/** An HTTP answer other than 2xx: `status` and the server's `detail` (string or 422 list). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} detail
   */
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
async function request(path, init) {
  const res = await fetch(path, { headers: { Accept: "application/json" }, ...init });
  let body = null;
  const text = await res.text();
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) throw new ApiError(res.status, body && typeof body === "object" ? body.detail : body);
  return body;
}

/**
 * @param {{scenario?: string, status?: string}} [filter] only this scenario's / this status's runs
 * @returns {Promise<any[]>} run objects, newest first
 */
export function listRuns(filter = {}) {
  const query = new URLSearchParams();
  if (filter.scenario) query.set("scenario", filter.scenario);
  if (filter.status) query.set("status", filter.status);
  const q = query.toString();
  return request(`/api/runs${q ? `?${q}` : ""}`);
}

/**
 * Forget a finished run and its events (204); rejects with ApiError 409 while it is active, 404 when it
 * is already gone, 401 / 403 without the presenter token.
 * @param {string} id
 * @returns {Promise<null>}
 */
export const deleteRun = (id) => request(`/api/runs/${encodeURIComponent(id)}`, { method: "DELETE" });

/** @type {Promise<any> | null} */
let healthOnce = null;

/**
 * The server's version and what its Python offers: start_methods, default_start_method (mpscope's) and
 * python_default_start_method (what a plain script gets there). Asked once per page.
 * @returns {Promise<any>}
 */
export function serverInfo() {
  healthOnce ??= request("/api/health").catch((err) => {
    healthOnce = null;
    throw err;
  });
  return healthOnce;
}

/** @returns {Promise<any[]>} every scenario object */
export const listScenarios = () => request("/api/scenarios");

/**
 * @param {string} id
 * @returns {Promise<any>} the scenario object with its `source`
 */
export const getScenario = (id) => request(`/api/scenarios/${encodeURIComponent(id)}`);

/**
 * @param {string} id
 * @returns {Promise<any>} the run object
 */
export const getRun = (id) => request(`/api/runs/${encodeURIComponent(id)}`);

/**
 * Start a run; resolves with the run object (201), rejects with ApiError (422 / 429 / 404).
 * @param {{scenario: string, params: Record<string, any>, start_method?: string, seed?: number}} body
 * @returns {Promise<any>}
 */
export const createRun = (body) =>
  request("/api/runs", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });

/**
 * @param {string} id
 * @returns {Promise<any>} the run object
 */
export const cancelRun = (id) => request(`/api/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" });

/**
 * Pause (true) or resume (false) every process of a running run at its next reported step.
 * @param {string} id
 * @param {boolean} paused
 * @returns {Promise<any>} the run object
 */
export const pauseRun = (id, paused) =>
  request(`/api/runs/${encodeURIComponent(id)}/${paused ? "pause" : "resume"}`, { method: "POST" });

/**
 * Absolute ws:// or wss:// URL for a path on this server.
 * @param {string} path
 * @returns {string}
 */
export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

/** @type {Promise<any> | null} */
let codeOnce = null;

/**
 * Whether this server takes code runs (`enabled`, `why_disabled`), its `network` ("isolated" | "open",
 * `network_note`), the `limits` and the New program `template`. Asked once per page.
 * @returns {Promise<any>}
 */
export function codeInfo() {
  codeOnce ??= request("/api/code").catch((err) => {
    codeOnce = null;
    throw err;
  });
  return codeOnce;
}

/**
 * Start a code run: resolves with the run (201); rejects with ApiError 422 (a syntax error: detail[0].type
 * "syntax_error", ctx.line / ctx.col), 413 / 422 (too long), 403 (not the presenter, or code runs off).
 * @param {{source: string, start_method?: string|null, args?: string[]}} body
 * @returns {Promise<any>}
 */
export const createCodeRun = (body) => createRun(/** @type {any} */ (body));

/**
 * @param {string} id
 * @returns {Promise<any[]>} every event of the run
 */
export const runEvents = (id) => request(`/api/runs/${encodeURIComponent(id)}/events`);
