// components/source-panel.js: the scenario's Python source in a collapsible <details>, with an "Edit and
// run" link to the editor (code/code-page.js) for whoever may run code (.presenter-only: not a follower).

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { highlightPython } from "./highlight.js";

export class SourcePanel {
  /** @param {HTMLDetailsElement} root a <details> from the template */
  constructor(root) {
    this.root = root;
    this.summary = h("summary", {}, h("span", { "data-i18n": "source.summary", text: t("source.summary") }));
    this.code = h("code", { class: "language-python" });
    this.edit = h("a", { class: "btn-secondary source-edit presenter-only", dataset: { testid: "edit-and-run" }, "data-i18n": "code.editAndRun", hidden: true }, t("code.editAndRun"));
    this.editNote = h("span", { class: "dim source-edit-note", "data-i18n": "code.editNote", text: t("code.editNote") });
    this.bar = h("div", { class: "source-bar presenter-only", hidden: true }, this.edit, this.editNote);
    root.replaceChildren(this.summary, this.bar, h("pre", { class: "code", tabindex: "0" }, this.code));
    this.shown = "";
  }

  /**
   * Show a scenario's source (the object from GET /api/scenarios/{id}); null hides the panel.
   * @param {{id: string, source?: string, file?: string}|null} scenario `file`: the name to show
   *   (a traced program's script); default scenarios/{id}.py
   * @param {string} [editHref] where "Edit and run" goes (none: no link)
   */
  show(scenario, editHref = "") {
    if (!scenario?.source) {
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    this.edit.hidden = this.bar.hidden = !editHref;
    if (editHref) this.edit.setAttribute("href", editHref);
    if (this.shown === scenario.id) return;
    this.shown = scenario.id;
    replace(this.summary, h("span", { "data-i18n": "source.code", text: t("source.code") }), " ", h("span", { class: "mono dim", text: scenario.file ?? `scenarios/${scenario.id}.py` }));
    replace(this.code, highlightPython(scenario.source));
  }
}
