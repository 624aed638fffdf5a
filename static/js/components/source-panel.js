// components/source-panel.js: the scenario's Python source in a collapsible <details>.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { highlightPython } from "./highlight.js";

export class SourcePanel {
  /** @param {HTMLDetailsElement} root a <details> from the template */
  constructor(root) {
    this.root = root;
    this.summary = h("summary", {}, h("span", { "data-i18n": "source.summary", text: t("source.summary") }));
    this.code = h("code", { class: "language-python" });
    root.replaceChildren(this.summary, h("pre", { class: "code", tabindex: "0" }, this.code));
    this.shown = "";
  }

  /**
   * Show a scenario's source (the object from GET /api/scenarios/{id}); null hides the panel.
   * @param {{id: string, source?: string, file?: string}|null} scenario `file`: the name to show
   *   (a traced program's script); default scenarios/{id}.py
   */
  show(scenario) {
    if (!scenario?.source) {
      this.root.hidden = true;
      return;
    }
    this.root.hidden = false;
    if (this.shown === scenario.id) return;
    this.shown = scenario.id;
    replace(this.summary, h("span", { "data-i18n": "source.code", text: t("source.code") }), " ", h("span", { class: "mono dim", text: scenario.file ?? `scenarios/${scenario.id}.py` }));
    replace(this.code, highlightPython(scenario.source));
  }
}
