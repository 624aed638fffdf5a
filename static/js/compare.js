// compare.js: the /compare?a=RUN&b=RUN page: two finished runs' timelines stacked on ONE time axis
// (same ns per pixel, each run's start at the same x; zoom or pan either and the other follows) and a
// summary table folded from the two event streams only (GET /api/runs/{id}/events). Two code runs (or
// traced programs) also show what changed in their programs, above the timelines (code/source-diff.js).
// Test hooks: .cmp-run[data-side][data-run]; each <mp-timeline> data-t0 / data-ns-per-px;
// #cmp-table[data-ready="true"], rows tr[data-metric] with td[data-side=a|b][data-value], the better
// one also .better.

import { showSourceDiff } from "./code/source-diff.js";
import { HelpDialog } from "./components/help-dialog.js";
import { byId, h, replace } from "./dom.js";
import { fmtInt, fmtMs, fmtValue } from "./format.js";
import { initI18n, onLang, statusWord, t } from "./i18n.js";
import { initPresence } from "./presence/index.js";
import { installShortcuts, toggleFullscreen } from "./shortcuts.js";
import { initTheme, toggleProjector } from "./theme.js";
import "./timeline/timeline.js";

/** @typedef {import("./run-stream.js").RunEvent} RunEvent */

/**
 * @typedef {object} Summary
 * @property {string} id
 * @property {any} start   run.start data
 * @property {any} end     run.end data, or null
 * @property {number} durationNs
 * @property {number} events
 * @property {number} rate  events per second
 * @property {number} procs
 * @property {number|null} lost
 * @property {number|null} maxDepth
 * @property {number|null} lockWaitNs
 * @property {Record<string, any>} result
 */

/**
 * Fold one run's events into its summary.
 * @param {string} id
 * @param {RunEvent[]} events
 * @returns {Summary}
 */
export function summarize(id, events) {
  let start = null;
  let end = null;
  let endT = 0;
  let lastT = 0;
  let maxDepth = null;
  let lockWaitNs = null;
  const pids = new Set();
  /** @type {Map<string, number>} lane -> t of its pending lock.wait */
  const waiting = new Map();
  for (const ev of events) {
    lastT = Math.max(lastT, ev.t);
    if (ev.kind === "run.start") start = ev.data;
    else if (ev.kind === "run.end") {
      end = ev.data;
      endT = ev.t;
    }
    if (ev.kind.startsWith("run.")) continue;
    pids.add(ev.pid);
    const lane = `${ev.pid}\u0000${ev.proc}`;
    if ((ev.kind === "queue.put" || ev.kind === "queue.get") && typeof ev.data.depth === "number")
      maxDepth = Math.max(maxDepth ?? 0, ev.data.depth);
    else if (ev.kind === "lock.wait") waiting.set(lane, ev.t);
    else if (ev.kind === "lock.acquired" || ev.kind === "lock.timeout") {
      const since = waiting.get(lane);
      if (since !== undefined) {
        lockWaitNs = (lockWaitNs ?? 0) + Math.max(0, ev.t - since);
        waiting.delete(lane);
      }
    }
  }
  const durationNs = end ? endT : lastT;
  const result = (end && end.result && typeof end.result === "object") ? end.result : {};
  let lost = null;
  if (typeof result.expected === "number" && typeof result.actual === "number") lost = result.expected - result.actual;
  else if (typeof result.lost === "number") lost = result.lost;
  return {
    id, start, end, durationNs, events: events.length,
    rate: durationNs > 0 ? events.length / (durationNs / 1e9) : 0,
    procs: pids.size, lost, maxDepth, lockWaitNs, result,
  };
}

/** @param {Record<string, any>} params @returns {string} */
function fmtParams(params) {
  return Object.entries(params ?? {}).map(([k, v]) => `${k}=${fmtValue(v, 20)}`).join(", ");
}

/**
 * Rows of the table: [key, label, value(a), value(b), format, better ("low"|"high"|"")].
 * @param {Summary} a
 * @param {Summary} b
 */
function rows(a, b) {
  /** @type {Array<{key: string, label: string, get: (s: Summary) => any, fmt: (v: any) => string, better: string}>} */
  const out = [
    { key: "status", label: t("cmp.status"), get: (s) => s.end?.status ?? "–", fmt: statusWord, better: "" },
    { key: "duration", label: t("cmp.duration"), get: (s) => s.durationNs, fmt: fmtMs, better: "low" },
    { key: "events", label: t("cmp.events"), get: (s) => s.events, fmt: fmtInt, better: "" },
    { key: "rate", label: t("cmp.rate"), get: (s) => s.rate, fmt: (v) => fmtInt(Math.round(v)), better: "high" },
    { key: "procs", label: t("cmp.procs"), get: (s) => s.procs, fmt: fmtInt, better: "" },
  ];
  if (a.lost !== null || b.lost !== null)
    out.push({ key: "lost", label: t("cmp.lost"), get: (s) => s.lost, fmt: fmtInt, better: "low" });
  if (a.maxDepth !== null || b.maxDepth !== null)
    out.push({ key: "queue", label: t("cmp.queue"), get: (s) => s.maxDepth, fmt: fmtInt, better: "low" });
  if (a.lockWaitNs !== null || b.lockWaitNs !== null)
    out.push({ key: "lockwait", label: t("cmp.lockWait"), get: (s) => s.lockWaitNs, fmt: fmtMs, better: "low" });
  for (const name of Object.keys(a.result)) {
    if (!(name in b.result) || name === "lost") continue;
    const va = a.result[name];
    const vb = b.result[name];
    if ((va !== null && typeof va === "object") || (vb !== null && typeof vb === "object")) continue;
    const num = typeof va === "number";
    out.push({ key: `result.${name}`, label: t("cmp.result", { name }), get: (s) => s.result[name], fmt: num ? fmtInt : (v) => fmtValue(v, 30), better: "" });
  }
  return out;
}

/** @param {Summary} a @param {Summary} b @returns {HTMLElement[]} */
function tableRows(a, b) {
  const head = h("tr", {}, h("th", { scope: "col", text: t("cmp.metric") }),
    h("th", { scope: "col", class: "cmp-col-a", text: `A · ${a.id}` }), h("th", { scope: "col", class: "cmp-col-b", text: `B · ${b.id}` }));
  const body = rows(a, b).map((row) => {
    const va = row.get(a);
    const vb = row.get(b);
    let win = "";
    if (row.better && typeof va === "number" && typeof vb === "number" && va !== vb)
      win = (row.better === "low") === (va < vb) ? "a" : "b";
    const cell = (/** @type {string} */ side, /** @type {any} */ v) =>
      h("td", { class: `mono${win === side ? " better" : ""}`, dataset: { side, value: v === null || v === undefined ? "" : String(v) } },
        v === null || v === undefined ? "–" : row.fmt(v));
    return h("tr", { dataset: { metric: row.key } }, h("th", { scope: "row", text: row.label }), cell("a", va), cell("b", vb));
  });
  return [h("thead", {}, head), h("tbody", {}, ...body)];
}

/** @param {string} id @returns {Promise<RunEvent[]>} */
async function loadEvents(id) {
  const res = await fetch(`/api/runs/${encodeURIComponent(id)}/events`, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.json();
}

function boot() {
  initI18n(byId("lang-en"), byId("lang-zh"));
  initTheme(byId("theme-toggle"));
  const help = new HelpDialog();
  byId("help-open").addEventListener("click", () => help.toggle());
  installShortcuts({ playPause: () => false, step: () => false, fullscreen: toggleFullscreen, theme: toggleProjector, help: () => help.toggle() });
  byId("conn").hidden = true; // no live connection on this page

  const ids = { a: document.body.dataset.runA ?? "", b: document.body.dataset.runB ?? "" };
  const message = byId("cmp-message");
  const say = (/** @type {string} */ text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  const tl = {
    a: /** @type {import("./timeline/timeline.js").MpTimeline} */ (byId("timeline-a")),
    b: /** @type {import("./timeline/timeline.js").MpTimeline} */ (byId("timeline-b")),
  };
  // One time axis: whatever window one shows (zoom, pan, fit), the other shows too.
  tl.a.addEventListener("mp:view", (ev) => tl.b.setView(/** @type {CustomEvent} */ (ev).detail));
  tl.b.addEventListener("mp:view", (ev) => tl.a.setView(/** @type {CustomEvent} */ (ev).detail));
  initPresence({ path: () => `/compare?a=${ids.a}&b=${ids.b}`, go: (path) => location.assign(path), timelines: [tl.a, tl.b] });
  const diff = /** @type {HTMLDetailsElement} */ (byId("cmp-diff"));
  const fitHeight = () => {
    const above = diff.hidden ? 0 : diff.getBoundingClientRect().height + 12; // the source diff takes its share
    const hgt = Math.max(110, Math.round((window.innerHeight - 330 - above) / 2));
    tl.a.fitHeight = tl.b.fitHeight = hgt;
    tl.a.invalidate();
    tl.b.invalidate();
  };
  window.addEventListener("resize", fitHeight);
  diff.addEventListener("toggle", fitHeight);
  fitHeight();

  const both = Boolean(ids.a && ids.b);
  const retitle = () => (document.title = `${both ? t("title.compare", { a: ids.a, b: ids.b }) : t("cmp.h")} · mpscope`);
  retitle();
  onLang(retitle);
  if (!both) {
    say(t("cmp.needTwo"));
    return;
  }
  say(t("cmp.loading", ids));
  /** @type {Record<string, Summary>} */
  const sums = {};
  Promise.all(
    /** @type {const} */ (["a", "b"]).map(async (side) => {
      let events;
      try {
        events = await loadEvents(ids[side]);
      } catch (err) {
        throw new Error(t("cmp.loadFailed", { id: ids[side], error: err instanceof Error ? err.message : String(err) }));
      }
      sums[side] = summarize(ids[side], events);
      return { side, events };
    }),
  )
    .then((loaded) => {
      const end = Math.max(sums.a.durationNs, sums.b.durationNs);
      for (const { side, events } of loaded) {
        const timeline = tl[side];
        timeline.fitEnd = end;
        timeline.addEvents(events);
        const s = sums[side];
        const section = byId(`cmp-${side}`);
        section.dataset.run = s.id;
        const label = /** @type {HTMLElement} */ (section.querySelector(".cmp-label"));
        replace(label,
          h("span", { class: "cmp-side", text: side.toUpperCase() }),
          h("span", { class: "cmp-scn", text: s.start?.scenario ?? "?" }),
          h("span", { class: "cmp-params mono", text: fmtParams(s.start?.params) }),
          h("span", { class: "chip cmp-method", text: s.start?.start_method ?? "" }),
          h("a", { class: "cmp-runlink mono", href: `/runs/${encodeURIComponent(s.id)}`, text: s.id }));
      }
      const table = byId("cmp-table");
      const render = () => {
        replace(table, ...tableRows(sums.a, sums.b));
        if (showSourceDiff(diff, sums.a.start, sums.b.start)) fitHeight();
      };
      render();
      onLang(render);
      table.dataset.ready = "true";
      say("");
    })
    .catch((err) => say(err instanceof Error ? err.message : String(err)));
}

boot();
