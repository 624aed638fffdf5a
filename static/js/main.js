// main.js: boots the dashboard and routes between its pages: home, a scenario (/scenarios/{id})
// and a run (/runs/{id}). Widgets live in their own modules; this file only wires them together.

import { ApiError, codeInfo, createCodeRun, createRun, getRun, getScenario, listScenarios } from "./api.js";
import { ConsolePane } from "./code/console.js";
import { Explanation } from "./components/explanation.js";
import { HelpDialog } from "./components/help-dialog.js";
import { ReplayBar } from "./components/replay-bar.js";
import { RunCounters } from "./components/run-counters.js";
import { RunHeader } from "./components/run-header.js";
import { RunList } from "./components/run-list.js";
import { ScenarioList } from "./components/scenario-list.js";
import { ScenarioPanel } from "./components/scenario-panel.js";
import { SourcePanel } from "./components/source-panel.js";
import { StatePanel } from "./components/state-panel.js";
import { byId, h, replace } from "./dom.js";
import { connectLobby } from "./lobby.js";
import { initI18n, onLang, ownWords, t, titleOf } from "./i18n.js";
import { initPresence } from "./presence/index.js";
import { initialPath, interceptLinks, parse } from "./router.js";
import { RunStream } from "./run-stream.js";
import { installShortcuts, toggleFullscreen } from "./shortcuts.js";
import { initTheme, toggleProjector } from "./theme.js";
import "./timeline/timeline.js";

const pages = { home: byId("page-home"), scenario: byId("page-scenario"), run: byId("page-run"), code: byId("page-code") };
const scenarioList = new ScenarioList(byId("scenario-list"));
const runList = new RunList(byId("run-list"));
const scenarioPanel = new ScenarioPanel(byId("scenario-panel"), (run) => {
  runList.merge([run]);
  navigate(`/runs/${run.id}`);
});
const runHeader = new RunHeader(byId("run-header"), { onRunAgain: (run) => startAgain(run) });
const runCounters = new RunCounters(byId("run-counters"));
const timeline = /** @type {import("./timeline/timeline.js").MpTimeline} */ (byId("timeline"));
const statePanel = new StatePanel(byId("state-panel"));
// Edit and run (code/): the editor page, and a code run's console on its run page.
// The editor (CodeMirror, ~400 KB) loads with the first visit to an editor page, not with every page.
/** @type {Promise<import("./code/code-page.js").CodePage> | null} */
let codePageOnce = null;
const codePage = () =>
  (codePageOnce ??= import("./code/code-page.js").then(({ CodePage }) => new CodePage(pages.code, {
    started: (run) => {
      runList.merge([run]);
      navigate(`/runs/${run.id}`);
    },
  })));
const runConsole = { box: byId("run-console"), pane: new ConsolePane(byId("run-console"), { onLine: () => navigate(`/code/runs/${current.id}`), tracebacks: false }) };
const sourcePanel = new SourcePanel(/** @type {HTMLDetailsElement} */ (byId("source-panel")));
// Replay swaps what the timeline and the state view show for a prefix of the run's events.
const replayBar = new ReplayBar(byId("replay-bar"), {
  show: (events) => {
    timeline.replaceEvents(events);
    statePanel.replay(events);
  },
  add: (events) => {
    timeline.addEvents(events);
    statePanel.onEvents(events);
  },
  cursor: (t, end) => timeline.setCursor(t, end),
});
timeline.addEventListener("mp:lane-select", (ev) => replayBar.setLane(/** @type {CustomEvent} */ (ev).detail));
const help = new HelpDialog();
const connDot = byId("conn");
const runBody = byId("run-body");
const runExplain = { box: byId("run-explain"), text: new Explanation(byId("run-explain-body")) };

/** @type {Map<string, Promise<any>>} scenario id -> full scenario object (with source) */
const scenarioCache = new Map();
/** @type {{id: string, stream: RunStream|null}} */
const current = { id: "", stream: null };
/** Presenter follow (presence/index.js): told when the page changes; set in boot(). */
let presence = { changed: () => {} };

/** @param {string} id @returns {Promise<any>} */
function scenario(id) {
  let p = scenarioCache.get(id);
  if (!p) {
    p = getScenario(id);
    p.catch(() => scenarioCache.delete(id));
    scenarioCache.set(id, p);
  }
  return p;
}

/** @param {string} path */
function navigate(path) {
  if (path !== location.pathname) history.pushState(null, "", path);
  route(path);
}

/** @param {string} path */
function route(path) {
  const r = parse(path);
  document.body.classList.remove("menu-open");
  byId("menu-toggle").setAttribute("aria-expanded", "false");
  for (const [name, el] of Object.entries(pages)) el.hidden = name !== r.page;
  if (r.page !== "run") closeRun();
  scenarioList.select(r.page === "scenario" ? r.id : "");
  if (r.page === "run") openRun(r.id);
  else if (r.page === "scenario") openScenario(r.id);
  else if (r.page === "code") {
    sourcePanel.show(null);
    codePage().then((page) => parse(location.pathname).page === "code" && page.open(r.target)); // unless the user moved on
  }
  else {
    setTitle(() => "mpscope");
    sourcePanel.show(null);
  }
  presence.changed();
}

/** @type {() => string} the window's title, in the current language */
let titleWords = () => "mpscope";

/** The window's title now and again on each language switch. @param {() => string} words */
function setTitle(words) {
  titleWords = words;
  document.title = words();
}
onLang(() => (document.title = titleWords()));

/** @param {string} id */
async function openScenario(id) {
  setTitle(() => `${id} · mpscope`);
  sourcePanel.show(null);
  try {
    const s = await scenario(id);
    const now = parse(location.pathname);
    if (now.page !== "scenario" || now.id !== id) return; // the user moved on meanwhile
    scenarioPanel.show(s);
    sourcePanel.show(s, s.program ? `/code/scenarios/${encodeURIComponent(id)}` : "");
    setTitle(() => `${titleOf(s)} · mpscope`);
  } catch (err) {
    const msg = err instanceof ApiError && err.status === 404 ? t("scn.missing", { id }) : t("scn.loadFailed", { error: String(err) });
    scenarioPanel.fail(msg);
  }
}

/** @param {string} id */
function openRun(id) {
  if (current.id === id) return;
  closeRun();
  current.id = id;
  runList.select(id);
  setTitle(() => `${t("title.run", { id })} · mpscope`);
  runHeader.reset(id);
  runCounters.reset(id);
  timeline.reset();
  replayBar.reset();
  statePanel.begin();
  sourcePanel.show(null);
  runExplain.box.hidden = true;
  runConsole.box.hidden = true;
  runConsole.pane.reset();
  let known = "";
  const useScenario = (/** @type {string} */ sid) => {
    if (known || !sid) return;
    known = sid;
    statePanel.use(sid);
    if (sid === "trace" || sid === "code") return; // a program: no scenario; its run.start says what it is
    scenario(sid)
      .then((s) => {
        if (current.id !== id) return;
        runHeader.setTitle(() => titleOf(s));
        sourcePanel.show(s);
        runExplain.text.show(s.explanation);
        runExplain.box.hidden = !s.explanation;
        setTitle(() => `${titleOf(s)} · ${t("title.run", { id })} · mpscope`);
      })
      .catch(() => {});
  };
  /** A traced program (`mpscope trace`) or a code run: its name and its own source, from its run.start. @param {any} data */
  const showTraced = (data) => {
    if (current.id !== id) return;
    runHeader.setTitle(String(data.title ?? "trace"));
    sourcePanel.show({ id: `trace-${id}`, source: data.source, file: data.source_name }, `/code/runs/${encodeURIComponent(id)}`);
    runConsole.box.hidden = data.scenario !== "code"; // its stdout and stderr were kept (a trace's went to its terminal)
    setTitle(() => `${data.title} · ${t("title.run", { id })} · mpscope`);
  };
  const missing = () => {
    runHeader.setMissing();
    runBody.hidden = true;
    runCounters.root.hidden = true;
  };
  runBody.hidden = false;
  runCounters.root.hidden = false;
  current.stream = new RunStream(id, {
    onEvents: (events) => {
      const start = events.find((ev) => ev.kind === "run.start");
      if (start) useScenario(start.data.scenario);
      if (start?.data.scenario === "trace" || start?.data.scenario === "code") showTraced(start.data);
      runConsole.pane.onEvents(events); // a code run's output and error (others have none)
      const show = replayBar.add(events); // false while a replay decides what is shown
      if (show) timeline.addEvents(events);
      runHeader.onEvents(events);
      runCounters.onEvents(events);
      if (show) statePanel.onEvents(events);
    },
    onState: (state) => {
      if (current.id !== id) return;
      if (state === "unknown") missing();
      // Dropped (too slow: 1013) or cut off (1006): say so until the stream has caught up again.
      else if (state === "waiting" || state === "resuming") runHeader.setMessage(() => t("run.reconnecting"));
      else if (state === "open") runHeader.setMessage("");
      if (state === "closed" || state === "unknown") timeline.setLive(false);
    },
    onStats: (stats) => {
      if (current.id === id) showStream(stats);
    },
  });
  getRun(id)
    .then((run) => {
      if (current.id !== id) return;
      runHeader.setRun(run);
      runCounters.setRun(run);
      runList.merge([run]);
      useScenario(run.scenario);
    })
    .catch((err) => {
      if (current.id === id && err instanceof ApiError && err.status === 404) missing();
    });
}

/**
 * The run stream's own counts as test hooks on #page-run: data-stream-events (events handed to the
 * views, each seq once), -last-seq, -reconnects, -duplicates (resumed overlap skipped), -gaps, -ended, -state.
 * @param {import("./run-stream.js").StreamStats|null} stats null: no run is open (the hooks go)
 */
function showStream(stats) {
  const { events, lastSeq, reconnects, duplicates, gaps, ended, state } = stats ?? {};
  const hooks = {
    streamEvents: events,
    streamLastSeq: lastSeq,
    streamReconnects: reconnects,
    streamDuplicates: duplicates,
    streamGaps: gaps,
    streamEnded: ended,
    streamState: state,
  };
  for (const [key, value] of Object.entries(hooks)) {
    if (value === undefined) delete pages.run.dataset[key];
    else if (pages.run.dataset[key] !== String(value)) pages.run.dataset[key] = String(value);
  }
}

function closeRun() {
  current.stream?.stop();
  current.stream = null;
  showStream(null);
  runCounters.reset(""); // stops its clock
  replayBar.reset();
  current.id = "";
  runList.select("");
}

/** "Run again" from the run header: same scenario, params and start method. @param {any} run */
async function startAgain(run) {
  try {
    const body = { scenario: run.scenario, params: run.params, start_method: run.start_method, seed: run.seed };
    const created = run.scenario === "code"
      ? await createCodeRun({ source: run.source, start_method: run.start_method, args: run.args })
      : await createRun(body); // the same seed: random draws in its processes repeat
    runList.merge([created]);
    navigate(`/runs/${created.id}`);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    runHeader.setMessage(() => t("run.startFailed", { error }));
  }
}

/** Home page: one card per scenario. @param {any[]} scenarios */
function showHome(scenarios) {
  replace(
    byId("home-cards"),
    ...scenarios.map((s) =>
      h("li", {},
        h("a", { class: "card home-card", href: `/scenarios/${encodeURIComponent(s.id)}` },
          h("span", { class: "home-card-title", text: titleOf(s), ...ownWords(s.titles) }),
          h("ul", { class: "chips" }, ...(s.concepts ?? []).map((/** @type {string} */ c) => h("li", { class: "chip", text: c })))))),
  );
}

/** Replay shortcuts apply on a finished run's page. */
function replayable() {
  return !pages.run.hidden && replayBar.ended;
}

/** The connection dot's tooltip. */
function connTitle() {
  const state = connDot.dataset.state;
  connDot.title = t(state === "open" ? "conn.open" : state === "connecting" ? "conn.connecting" : "conn.waiting");
}

function boot() {
  initI18n(byId("lang-en"), byId("lang-zh"));
  onLang(connTitle);
  initTheme(byId("theme-toggle"));
  byId("help-open").addEventListener("click", () => help.toggle());
  installShortcuts({
    playPause: () => replayable() && (replayBar.toggle(), true),
    step: (dir) => replayable() && (replayBar.step(dir), true),
    fullscreen: toggleFullscreen,
    theme: toggleProjector,
    help: () => help.toggle(),
  });
  // Phones: the scenarios and runs are a menu (layout.css), opened from the top bar, closed on navigation.
  const menu = byId("menu-toggle");
  menu.addEventListener("click", () => {
    const open = document.body.classList.toggle("menu-open");
    menu.setAttribute("aria-expanded", String(open));
  });
  interceptLinks(navigate);
  window.addEventListener("popstate", () => route(location.pathname));
  connectLobby(
    (runs, snapshot) => {
      runList.merge(runs, snapshot);
      const mine = runs.find((r) => r.id === current.id);
      if (mine) {
        runHeader.setRun(mine);
        runCounters.setRun(mine);
      } else if (snapshot && current.id) runHeader.setRun({ id: current.id, deleted: true }); // gone while offline
    },
    (state) => {
      connDot.dataset.state = state;
      connTitle();
    },
  );
  listScenarios()
    .then((list) => {
      scenarioList.show(list);
      showHome(list);
      const r = parse(location.pathname);
      scenarioList.select(r.page === "scenario" ? r.id : "");
    })
    .catch((err) => scenarioList.fail(t("side.loadFailed", { error: err instanceof Error ? err.message : String(err) })));
  presence = initPresence({
    path: () => location.pathname,
    go: (path) => (path.startsWith("/compare") ? location.assign(path) : navigate(path)),
    timelines: [timeline],
    replay: replayBar,
    result: () => runHeader.result ?? runHeader.run.result,
  });
  // Code runs off on this server, or this browser is not the presenter's: no "Edit and run" links (the
  // editor page itself says why).
  codeInfo()
    .then((info) => {
      document.body.classList.toggle("code-off", !info.enabled);
      document.body.classList.toggle("not-presenter", info.enabled && info.may_run === false);
    })
    .catch(() => {});
  const start = initialPath(document.body);
  if (start !== location.pathname) history.replaceState(null, "", start);
  route(start);
}

boot();
