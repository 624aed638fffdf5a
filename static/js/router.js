// router.js: the dashboard's kinds of URL and History API navigation.

/**
 * @typedef {{page: "home"} | {page: "scenario", id: string} | {page: "run", id: string} |
 *   {page: "code", target: import("./code/code-page.js").CodeTarget}} Route
 * "code": the Edit and run page, on /code/new, /code/scenarios/{id} (a lesson's program) or /code/runs/{id}
 */

/**
 * @param {string} path
 * @returns {Route}
 */
export function parse(path) {
  const run = path.match(/^\/runs\/([^/]+)\/?$/);
  if (run) return { page: "run", id: decodeURIComponent(run[1]) };
  const scenario = path.match(/^\/scenarios\/([^/]+)\/?$/);
  if (scenario) return { page: "scenario", id: decodeURIComponent(scenario[1]) };
  if (/^\/code\/new\/?$/.test(path)) return { page: "code", target: { kind: "new" } };
  const code = path.match(/^\/code\/(scenarios|runs)\/([^/]+)\/?$/);
  if (code) return { page: "code", target: { kind: code[1] === "runs" ? "run" : "scenario", id: decodeURIComponent(code[2]) } };
  return { page: "home" };
}

/**
 * The starting path from <body data-run data-scenario> (set by the server), else the location.
 * @param {HTMLElement} body
 * @returns {string}
 */
export function initialPath(body) {
  if (body.dataset.run) return `/runs/${encodeURIComponent(body.dataset.run)}`;
  if (body.dataset.scenario) return `/scenarios/${encodeURIComponent(body.dataset.scenario)}`;
  return location.pathname;
}

/**
 * Make same-origin links to dashboard pages navigate without reloading.
 * @param {(path: string) => void} navigate
 */
export function interceptLinks(navigate) {
  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = /** @type {Element} */ (ev.target).closest?.("a[href]");
    if (!(a instanceof HTMLAnchorElement) || a.target || a.origin !== location.origin) return;
    if (!/^\/($|runs\/|scenarios\/|code\/)/.test(a.pathname)) return;
    ev.preventDefault();
    navigate(a.pathname);
  });
}
