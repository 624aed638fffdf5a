// code/console.js: a program's console: its stdout and stderr as they arrive (`output` events), and its
// error with the traceback. stderr is set apart by more than colour: its own block, italic, with a marked
// left edge and an "stderr" tag (the legend says so). Test hooks: [data-stream] per chunk, data-chars.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";

/** Past this many characters the oldest output goes (the whole of it stays at /api/runs/{id}/output). */
const MAX_CHARS = 200_000;

export class ConsolePane {
  /**
   * @param {HTMLElement} root
   * @param {{onLine?: (line: number) => void, tracebacks?: boolean}} [actions] onLine: "go to line N";
   *   tracebacks: false on a run's page, whose header shows the traceback already
   */
  constructor(root, actions = {}) {
    this.root = root;
    this.actions = actions;
    this.out = h("pre", { class: "console-out", tabindex: "0", role: "log", "aria-live": "polite", "aria-label": t("code.console"), "data-i18n-aria-label": "code.console", dataset: { testid: "console" } });
    this.error = h("div", { class: "console-error", role: "alert", hidden: true });
    this.empty = h("p", { class: "console-empty dim", "data-i18n": "code.noOutput", text: t("code.noOutput") });
    replace(root,
      h("div", { class: "console-head" },
        h("h2", { class: "console-h", "data-i18n": "code.console", text: t("code.console") }),
        h("span", { class: "console-legend" },
          h("span", { class: "out-tag", text: "stdout" }), " ", h("span", { "data-i18n": "code.stdout", text: t("code.stdout") }), "  ",
          h("span", { class: "out-tag out-tag-err", text: "stderr" }), " ", h("span", { "data-i18n": "code.stderr", text: t("code.stderr") }))),
      this.empty, this.out, this.error); // the error last, as in a terminal
    this.chars = 0;
  }

  reset() {
    this.out.replaceChildren();
    this.chars = 0;
    this.root.dataset.chars = "0";
    this.empty.hidden = false;
    this.showError(null);
  }

  /**
   * @param {string} stream "stdout" | "stderr"
   * @param {string} text
   */
  add(stream, text) {
    if (!text) return;
    const last = /** @type {HTMLElement|null} */ (this.out.lastElementChild);
    const stick = this.out.scrollTop + this.out.clientHeight >= this.out.scrollHeight - 4;
    if (last && last.dataset.stream === stream) last.append(text);
    else {
      const err = stream === "stderr";
      this.out.append(h("span", { class: err ? "out out-err" : "out", dataset: { stream } }, err ? h("span", { class: "out-tag out-tag-err", "aria-hidden": "true", text: "stderr" }) : null, text));
    }
    this.chars += text.length;
    while (this.chars > MAX_CHARS && this.out.firstElementChild) {
      this.chars -= (this.out.firstElementChild.textContent ?? "").length;
      this.out.firstElementChild.remove();
    }
    this.root.dataset.chars = String(this.chars);
    this.empty.hidden = true;
    if (stick) this.out.scrollTop = this.out.scrollHeight;
  }

  /** @param {import("../run-stream.js").RunEvent[]} events the run's, any kinds */
  onEvents(events) {
    for (const ev of events) {
      if (ev.kind === "output") this.add(String(ev.data.stream ?? "stdout"), String(ev.data.text ?? ""));
      else if ((ev.kind === "run.error" || ev.kind === "process.error") && !this.root.querySelector(".console-error[data-line]")) {
        this.showError({ error: ev.data.error, traceback: ev.data.traceback, line: ev.data.line, proc: ev.proc });
      }
    }
  }

  /**
   * The program's error (null hides it): its message, the line it points at (a button that goes there) and
   * its traceback.
   * @param {{error?: string, traceback?: string, line?: number, proc?: string, syntax?: boolean}|null} err
   */
  showError(err) {
    this.error.hidden = !err;
    delete this.error.dataset.line;
    if (!err) return this.error.replaceChildren();
    const line = typeof err.line === "number" && err.line > 0 ? err.line : 0;
    if (line) this.error.dataset.line = String(line);
    const key = err.syntax ? "code.syntaxError" : "code.error";
    replace(this.error,
      h("strong", { text: t(key, { error: err.error ?? "" }) }),
      line ? h("button", { type: "button", class: "btn-secondary console-line", on: { click: () => this.actions.onLine?.(line) } }, t("code.atLine", { line })) : null,
      err.traceback && this.actions.tracebacks !== false ? h("pre", { class: "code traceback", tabindex: "0", text: err.traceback }) : null);
  }
}
