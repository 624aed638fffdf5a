// components/run-header.js: the open run at a glance: title, status, start method, params, duration,
// event count, a warning when events were dropped, error with traceback, and the result once the run
// has ended. The live counters (events/s, dropped, viewers, overhead) are components/run-counters.js.
// Test hooks: data-status, data-events, data-dropped on the root.

import { cancelRun, pauseRun } from "../api.js";
import { h, replace } from "../dom.js";
import { fmtDuration, fmtInt, fmtValue } from "../format.js";
import { onLang, t } from "../i18n.js";
import { ACTIVE, badge } from "./run-list.js";
import "./export-menu.js";

const RANK = { queued: 0, running: 1, succeeded: 2, failed: 2, cancelled: 2, interrupted: 2 };

export class RunHeader {
  /**
   * @param {HTMLElement} root
   * @param {{onRunAgain: (run: any) => void}} actions
   */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.raf = 0;
    /** @type {any} */
    this.el = null;
    /** @type {{params: string, error: string, result: string}|null} */
    this.keys = null;
    this.reset("");
    onLang(() => {
      if (this.keys) this.keys.error = this.keys.result = ""; // rebuilt with the new words
      this.render();
    });
  }

  /** @param {string} runId */
  reset(runId) {
    this.runId = runId;
    /** @type {any} */
    this.run = { id: runId, status: "queued" };
    /** @type {string|(() => string)} */
    this.title = "";
    /** @type {any} */ this.start = null;
    /** @type {any} */ this.end = null;
    /** @type {any} */ this.error = null;
    /** @type {any} */ this.result = undefined;
    this.events = 0;
    this.lastT = 0;
    /** @type {string|(() => string)} */
    this.message = "";
    this.missing = false;
    this.deleted = false;
    this.render();
  }

  /** @param {any} run a run object (REST or lobby; the lobby's {id, deleted: true} once it is deleted) */
  setRun(run) {
    if (run.id !== this.runId) return;
    if (run.deleted) {
      if (this.missing) return; // "there is no run X" says it already
      this.deleted = true; // its files are gone: no export; what the page loaded stays on screen
      this.setMessage(() => t("run.deleted"));
      return;
    }
    this.run = { ...this.run, ...run };
    this.schedule();
  }

  /** @param {string|(() => string)} title words, or what gives them in the current language */
  setTitle(title) {
    this.title = title;
    this.schedule();
  }

  /** The run does not exist (404 / WebSocket 4404): say so, offer no actions. */
  setMissing() {
    this.missing = true;
    const id = this.runId;
    this.setMessage(() => t("run.missing", { id }));
  }

  /** @param {string|(() => string)} message e.g. () => t("run.reconnecting"): a function follows the language */
  setMessage(message) {
    this.message = message;
    this.schedule();
  }

  /** @param {import("../run-stream.js").RunEvent[]} events */
  onEvents(events) {
    for (const ev of events) {
      this.events = Math.max(this.events, ev.seq + 1);
      this.lastT = Math.max(this.lastT, ev.t);
      if (ev.kind === "run.start") this.start = ev;
      else if (ev.kind === "run.end") this.end = ev;
      else if (ev.kind === "run.error") this.error = ev.data;
      else if (ev.kind === "run.result") this.result = ev.data.result;
    }
    this.schedule();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => ((this.raf = 0), this.render()));
  }

  /** Status from the run object and the events; whichever is further along wins. */
  status() {
    if (this.missing) return "unknown";
    const fromEvents = this.end ? this.end.data.status : this.start ? "running" : "queued";
    const fromRun = this.run.status ?? "queued";
    return (RANK[fromEvents] ?? 0) >= (RANK[fromRun] ?? 0) ? fromEvents : fromRun;
  }

  /** Build the header's elements once; render() only updates them, so buttons stay clickable. */
  build() {
    const stat = (/** @type {string} */ key) => {
      const dd = h("dd");
      return { el: h("div", { class: "stat" }, h("dt", { "data-i18n": key, text: t(key) }), dd), dd };
    };
    this.el = {
      title: h("h2", { class: "rh-title" }),
      badge: badge("queued"),
      id: h("span", { class: "rh-id mono" }),
      cancel: h("button", { type: "button", class: "btn-cancel", on: { click: (ev) => this.cancel(ev) }, "data-i18n": "run.cancel" }, t("run.cancel")),
      pause: h("button", { type: "button", class: "btn-pause", on: { click: (ev) => this.togglePause(ev) } }),
      again: h("button", { type: "button", class: "btn-secondary", on: { click: () => this.actions.onRunAgain(this.again()) }, "data-i18n": "run.again" }, t("run.again")),
      edit: h("a", { class: "btn-secondary", "data-i18n": "run.edit" }, t("run.edit")),
      exportMenu: h("mp-export-menu"),
      message: h("p", { class: "rh-message", role: "alert", hidden: true }),
      method: stat("run.method"),
      duration: stat("run.duration"),
      events: stat("run.events"),
      params: h("ul", { class: "chips params", "aria-label": t("run.params"), "data-i18n-aria-label": "run.params" }),
      droppedNote: h("p", { class: "rh-dropped", role: "alert", hidden: true }),
      error: h("div", { class: "rh-error", role: "alert", hidden: true }),
      result: h("div", { class: "rh-result", hidden: true }),
    };
    const e = this.el;
    e.method.dd.classList.add("mono");
    replace(
      this.root,
      h("div", { class: "rh-top" }, e.title, e.badge, e.id),
      e.message,
      h("div", { class: "rh-row" },
        h("dl", { class: "rh-stats" }, e.method.el, e.duration.el, e.events.el),
        h("div", { class: "rh-actions" }, e.pause, e.cancel, e.again, e.edit, e.exportMenu)),
      // tabindex: on a short screen this row scrolls sideways (layout.css), so the keyboard can scroll it too
      h("div", { class: "rh-chips", tabindex: "0" }, e.params, e.result),
      e.droppedNote,
      e.error,
    );
    this.keys = { params: "", error: "", result: "" };
  }

  /** The run as "Run again" should repeat it. */
  again() {
    const start = this.start?.data ?? {};
    return {
      scenario: start.scenario ?? this.run.scenario,
      params: start.params ?? this.run.params ?? {},
      start_method: start.start_method ?? this.run.start_method,
      seed: start.seed ?? this.run.seed ?? undefined, // the same seed: "run again" repeats the run
      source: start.source, // a code run's program (scenario "code"), run again as it was
      args: start.args ?? start.params?.args ?? [],
    };
  }

  render() {
    if (!this.el) this.build();
    const e = /** @type {NonNullable<typeof this.el>} */ (this.el);
    const run = this.run;
    const status = this.status();
    const { scenario, params, start_method: method } = this.again();
    const end = this.end?.data ?? {};
    const events = Math.max(this.events, end.event_count ?? 0, run.event_count ?? 0);
    const dropped = end.dropped_events ?? run.dropped_events ?? 0;
    const seconds = this.start ? ((this.end?.t ?? this.lastT) - this.start.t) / 1e9 : durationOf(run);
    // Once the run has ended, run.end's error is the whole story (the one-line reason, then every
    // failed process's own traceback); while it runs, the main process's run.error is all there is.
    const live = this.error ? `${this.error.error}\n${this.error.traceback ?? ""}` : "";
    const errorText = (end.error ?? (live || run.error) ?? "").trim();
    const result = this.result !== undefined ? this.result : end.result ?? run.result;
    Object.assign(this.root.dataset, { status, events: String(events), dropped: String(dropped) });

    e.title.textContent = (typeof this.title === "function" ? this.title() : this.title) || scenario || t("run.title");
    if (e.badge.dataset.status !== status) e.badge.replaceWith((e.badge = badge(status)));
    e.id.textContent = t("run.id", { id: this.runId });
    // A traced program (`mpscope trace`) runs in its user's terminal: stopped there, never re-run from here.
    const traced = scenario === "trace";
    e.cancel.hidden = !ACTIVE.has(status) || traced;
    // "Pause all workers": every process of the run waits at its next reported step until resumed.
    const paused = Boolean(run.paused) && ACTIVE.has(status);
    e.pause.hidden = status !== "running" || traced;
    e.pause.textContent = t(paused ? "run.resume" : "run.pause");
    e.pause.setAttribute("aria-pressed", String(paused));
    this.root.dataset.paused = String(paused);
    e.again.hidden = !scenario || this.missing || traced;
    e.edit.hidden = !scenario || this.missing || traced;
    e.exportMenu.hidden = this.missing || this.deleted || ACTIVE.has(status); // a finished run's files only
    e.exportMenu.setAttribute("run", this.runId);
    // a code run's "edit" is its program in the editor (code/code-page.js); a scenario's, its parameters
    const code = scenario === "code";
    if (scenario) e.edit.setAttribute("href", code ? `/code/runs/${encodeURIComponent(this.runId)}` : `/scenarios/${encodeURIComponent(scenario)}`);
    const editKey = code ? "code.editAndRun" : "run.edit";
    if (e.edit.dataset.i18n !== editKey) (e.edit.dataset.i18n = editKey), (e.edit.textContent = t(editKey));
    e.edit.classList.toggle("presenter-only", code);
    const message = typeof this.message === "function" ? this.message() : this.message;
    e.message.hidden = !message;
    e.message.textContent = message;
    e.method.dd.textContent = method ?? "–";
    e.duration.dd.textContent = fmtDuration(seconds);
    e.events.dd.textContent = fmtInt(events);
    e.droppedNote.hidden = !(dropped > 0);
    e.droppedNote.textContent = t("run.dropped", { n: fmtInt(dropped) });

    const keys = /** @type {NonNullable<typeof this.keys>} */ (this.keys);
    const paramsKey = JSON.stringify(params);
    if (paramsKey !== keys.params) {
      keys.params = paramsKey;
      replace(e.params, ...Object.entries(params).map(([k, v]) => h("li", { class: "chip mono" }, `${k}=`, h("b", { text: fmtValue(v, 30) }))));
    }
    if (errorText !== keys.error) {
      keys.error = errorText;
      e.error.hidden = !errorText;
      const [headline, ...details] = errorText.split("\n");
      const body = details.join("\n").trim();
      replace(e.error, h("strong", { text: t("run.error", { error: headline }) }),
        body ? h("pre", { class: "code traceback", tabindex: "0", text: body }) : null); // it may scroll: keyboard users too
    }
    const resultKey = this.end && result !== undefined && result !== null ? JSON.stringify(result) : "";
    if (resultKey !== keys.result) {
      keys.result = resultKey;
      e.result.hidden = !resultKey;
      if (resultKey) replace(e.result, h("span", { class: "rh-result-label", text: t("run.result") }), resultBody(result));
    }
  }

  /** @param {Event} ev */
  async togglePause(ev) {
    const btn = /** @type {HTMLButtonElement} */ (ev.currentTarget);
    btn.disabled = true;
    try {
      this.setRun(await pauseRun(this.runId, !this.run.paused));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.setMessage(() => t("run.pauseFailed", { error }));
    } finally {
      btn.disabled = false;
    }
  }

  /** @param {Event} ev */
  async cancel(ev) {
    const btn = /** @type {HTMLButtonElement} */ (ev.currentTarget);
    btn.disabled = true;
    try {
      this.setRun(await cancelRun(this.runId));
    } catch (err) {
      btn.disabled = false;
      const error = err instanceof Error ? err.message : String(err);
      this.setMessage(() => t("run.cancelFailed", { error }));
    }
  }
}

/** @param {any} run @returns {number} seconds */
function durationOf(run) {
  if (!run.started_at) return NaN;
  return (run.ended_at ?? Date.now() / 1000) - run.started_at;
}

/** The result object as chips (JSON for anything else). @param {any} result */
function resultBody(result) {
  return result && typeof result === "object" && !Array.isArray(result)
    ? h("ul", { class: "chips", "aria-label": t("run.result") },
        ...Object.entries(result).map(([k, v]) => h("li", { class: "chip chip-result mono" }, `${k}=`, h("b", { text: fmtValue(v, 40) }))))
    : h("code", { class: "mono", text: fmtValue(result, 200) });
}
