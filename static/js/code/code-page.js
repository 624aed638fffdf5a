// code/code-page.js: the "Edit and run" page (/code/new, /code/scenarios/{id}, /code/runs/{id}): a program
// in the editor, the start method, Run (Ctrl/Cmd+Enter), and a console with the last run's output and error.
// A syntax error comes back as a 422 before anything starts and is marked at its line; a good program
// starts a code run (POST /api/runs with `source`) and the page goes to that run's page. Opened on a code
// run, it shows that run's output and marks the line its traceback points at: edit, then run again.
// Controls only for whoever may run code: the presenter (GET /api/code's may_run), not a follower, and
// not when the server has code runs off.

import { ApiError, codeInfo, createCodeRun, getRun, getScenario, runEvents, serverInfo } from "../api.js";
import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { ConsolePane } from "./console.js";
import { CodeEditor } from "./editor.js";

/** @typedef {{kind: "new"} | {kind: "scenario", id: string} | {kind: "run", id: string}} CodeTarget */

export class CodePage {
  /** @param {HTMLElement} root @param {{started: (run: any) => void}} actions */
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    this.title = h("h1", { id: "code-h", class: "code-h" });
    this.file = h("span", { class: "code-file mono dim" });
    this.method = /** @type {HTMLSelectElement} */ (h("select", { id: "code-method", class: "code-method" }));
    this.run = h("button", { type: "button", class: "btn-primary code-run", dataset: { testid: "code-run" }, on: { click: () => this.start() } }, t("code.run"));
    this.note = h("p", { class: "code-note", role: "status", hidden: true });
    const editorBox = h("div", { class: "card code-editor" });
    const consoleBox = h("section", { class: "card code-console" });
    replace(root,
      h("div", { class: "code-bar" },
        h("div", { class: "code-titles" }, this.title, this.file),
        h("div", { class: "code-actions presenter-only" },
          h("label", { class: "code-method-label" }, h("span", { "data-i18n": "code.method", text: t("code.method") }), this.method),
          this.run,
          h("kbd", { class: "kbd code-kbd", title: t("code.kbdTitle"), "data-i18n-title": "code.kbdTitle", text: /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘ Enter" : "Ctrl+Enter" }))),
      this.note,
      h("div", { class: "code-grid" }, editorBox, consoleBox));
    this.editor = new CodeEditor(editorBox, { onRun: () => this.start(), label: t("code.editorLabel"), onChange: () => this.edited() });
    this.console = new ConsolePane(consoleBox, { onLine: (line) => (this.editor.mark(line), this.editor.focus()) });
    this.key = "";
    this.busy = false;
    this.enabled = true;
  }

  /**
   * Show a program: the New program template, a lesson's program, or a run's own source.
   * @param {CodeTarget} target
   */
  async open(target) {
    const key = JSON.stringify(target);
    if (key === this.key) return;
    this.key = key;
    this.root.dataset.ready = "false";
    this.console.reset();
    this.editor.load("");
    this.setTitle(target.kind === "new" ? t("code.newTitle") : t("code.loading"), "");
    try {
      const [info, health] = await Promise.all([codeInfo(), serverInfo()]);
      this.offer(info, health);
      let source = info.template ?? "";
      let method = health.default_start_method;
      if (target.kind === "scenario") {
        const s = await getScenario(target.id);
        source = s.program ?? "";
        this.setTitle(t("code.editTitle", { title: s.title ?? s.id }), `${s.id}_lesson.py`);
      } else if (target.kind === "run") {
        const [run, events] = await Promise.all([getRun(target.id), runEvents(target.id)]);
        const start = events.find((/** @type {any} */ ev) => ev.kind === "run.start")?.data ?? {};
        source = start.source ?? "";
        method = start.start_method ?? run.start_method ?? method;
        this.setTitle(t("code.runTitle", { title: start.title ?? run.scenario, id: run.id }), start.source_name ?? "");
        if (key !== this.key) return;
        this.editor.load(source);
        this.console.onEvents(events);
        const err = events.find((/** @type {any} */ ev) => (ev.kind === "run.error" || ev.kind === "process.error") && ev.data.line);
        if (err) this.editor.mark(err.data.line);
      } else this.setTitle(t("code.newTitle"), "program.py");
      if (key !== this.key) return;
      if (target.kind !== "run") this.editor.load(source);
      if ([...this.method.options].some((o) => o.value === method)) this.method.value = method;
      this.root.dataset.ready = "true";
      document.title = `${this.title.textContent} · mpscope`;
    } catch (err) {
      if (key !== this.key) return;
      const missing = err instanceof ApiError && err.status === 404;
      this.say(missing ? t("code.missing") : t("code.loadFailed", { error: err instanceof Error ? err.message : String(err) }), true);
    }
  }

  /** @param {string} title @param {string} file */
  setTitle(title, file) {
    this.title.textContent = title;
    this.file.textContent = file;
  }

  /**
   * What this server offers: its start methods, and whether code runs are on (and if the network is open).
   * @param {any} info GET /api/code @param {any} health GET /api/health
   */
  offer(info, health) {
    replace(this.method, ...(health.start_methods ?? []).map((/** @type {string} */ m) => h("option", { value: m, text: m === health.default_start_method ? t("code.methodDefault", { method: m }) : m })));
    const following = document.body.classList.contains("following"); // the audience reads, never runs
    this.enabled = Boolean(info.enabled) && info.may_run !== false && !following; // the presenter only
    this.root.dataset.enabled = String(this.enabled);
    this.run.toggleAttribute("disabled", !this.enabled);
    this.editor.setReadOnly(!this.enabled);
    if (!info.enabled) this.say(t("code.off", { why: String(info.why_disabled ?? "").replace(/^code runs are off:\s*/i, "") }), true);
    else if (info.may_run === false) this.say(t("code.notPresenter", { why: info.why_not ?? "" }), true);
    else if (following) this.say("", false); // the badge says "read-only"
    else if (info.network !== "isolated") this.say(t("code.networkOpen", { note: info.network_note ?? "" }), false);
    else this.say("", false);
  }

  /** @param {string} text @param {boolean} warn */
  say(text, warn) {
    this.note.hidden = !text;
    this.note.textContent = text;
    this.note.classList.toggle("warn", warn);
  }

  /** An edit clears the mark of an error that is no longer where it was (the editor moves it along). */
  edited() {
    this.root.dataset.edited = "true";
  }

  /** Run the program: a syntax error is marked in place; anything else goes to the new run's page. */
  async start() {
    if (this.busy || !this.enabled || document.body.classList.contains("following")) return;
    this.busy = true;
    this.run.setAttribute("aria-busy", "true");
    this.console.showError(null);
    this.editor.mark(0);
    try {
      const run = await createCodeRun({ source: this.editor.text, start_method: this.method.value || null, args: [] });
      this.key = ""; // back here later: load afresh
      this.actions.started(run);
    } catch (err) {
      this.refused(err);
    } finally {
      this.busy = false;
      this.run.removeAttribute("aria-busy");
    }
  }

  /** A refusal: a syntax error at its line, or the server's reason (too long, not the presenter...). @param {unknown} err */
  refused(err) {
    const detail = err instanceof ApiError && Array.isArray(err.detail) ? err.detail[0] : null;
    if (detail?.type === "syntax_error") {
      const line = Number(detail.ctx?.line) || 0;
      this.console.showError({ error: detail.msg, line, syntax: true });
      this.editor.mark(line, Number(detail.ctx?.col) || 1);
      this.editor.focus();
      return;
    }
    const msg = detail ? String(detail.msg) : err instanceof Error ? err.message : String(err);
    this.console.showError({ error: t("code.refused", { error: msg }) });
  }
}
