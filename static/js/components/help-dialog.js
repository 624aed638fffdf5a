// components/help-dialog.js: the keyboard shortcuts, in a modal <dialog> (Esc closes it).
// Test hook: the dialog's id "help-dialog" and its `open` attribute.

import { h } from "../dom.js";
import { t } from "../i18n.js";

/** [keys, what they do (an i18n.js key)] */
export const SHORTCUTS = [
  [["Space"], "help.space"],
  [["←", "→"], "help.arrows"],
  [["f"], "help.f"],
  [["p"], "help.p"],
  [["?"], "help.help"],
  [["Esc"], "help.esc"],
];

export class HelpDialog {
  constructor() {
    this.el = h("dialog", { id: "help-dialog", class: "help-dialog", "aria-labelledby": "help-h" },
      h("h2", { id: "help-h", "data-i18n": "help.title", text: t("help.title") }),
      h("dl", { class: "help-keys" },
        ...SHORTCUTS.flatMap(([keys, what]) => [
          h("dt", {}, ...keys.flatMap((k, i) => [i ? " " : null, h("kbd", { text: k })])),
          h("dd", { "data-i18n": what, text: t(String(what)) }),
        ])),
      h("p", { class: "help-note", "data-i18n": "help.note", text: t("help.note") }),
      h("form", { method: "dialog" }, h("button", { class: "btn-secondary", "data-i18n": "help.close", text: t("help.close") })));
    document.body.append(this.el);
  }

  toggle() {
    if (this.el.open) this.el.close();
    else this.el.showModal();
  }
}
