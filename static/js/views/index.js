// views/index.js: the shared-state panel registry. Each scenario may have its own view module;
// scenarios without one get views/generic.js.
//
// To add a view for scenario "queue": write views/queue.js exporting
//     export function createView(container) { ...; return { onEvents(events) {}, reset() {} }; }
// derive everything from the events it is given (they arrive in seq order, the full history first
// when a finished run is opened), then add one line below:   queue: () => import("./queue.js"),

/**
 * @typedef {object} View
 * @property {(events: import("../run-stream.js").RunEvent[]) => void} onEvents new events, seq order
 * @property {() => void} reset forget everything (a new run of the same scenario)
 * @property {() => void} [destroy] the panel is about to show another scenario's view
 */

/** @typedef {{createView: (container: HTMLElement) => View}} ViewModule */

/** @type {Record<string, () => Promise<ViewModule>>} */
const VIEWS = {
  race: () => import("./race.js"),
  gil: () => import("./gil.js"),
  deadlock: () => import("./deadlock.js"),
  sync: () => import("./sync.js"),
  executor: () => import("./executor.js"),
  processes: () => import("./processes.js"),
  shared_memory: () => import("./shared_memory.js"),
  pool: () => import("./pool.js"),
  queue: () => import("./queue.js"),
  pipe: () => import("./pipe.js"),
  manager: () => import("./manager.js"),
  trace: () => import("./trace.js"), // a program run by `mpscope trace`
  code: () => import("./trace.js"), // a program from the editor page, traced the same way
};

/**
 * The view module for a scenario, or the generic one.
 * @param {string} scenarioId
 * @returns {Promise<ViewModule>}
 */
export function loadView(scenarioId) {
  const load = Object.hasOwn(VIEWS, scenarioId) ? VIEWS[scenarioId] : () => import("./generic.js");
  return load();
}
