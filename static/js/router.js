// router.js: the dashboard's three kinds of URL and History API navigation.

/**
 * @typedef {{page: "home"} | {page: "scenario", id: string} | {page: "run", id: string}} Route
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
    if (!/^\/($|runs\/|scenarios\/)/.test(a.pathname)) return;
    ev.preventDefault();
    navigate(a.pathname);
  });
}
