// components/help-dialog.js: the keyboard shortcuts, in a modal <dialog> (Esc closes it).
// Test hook: the dialog's id "help-dialog" and its `open` attribute.

import { h } from "../dom.js";

/** [keys, what they do] */
export const SHORTCUTS = [
  [["Space"], "Play or pause the replay of a finished run"],
  [["←", "→"], "Previous / next event (replay)"],
  [["f"], "Full screen on or off"],
  [["p"], "Projector theme on or off (high contrast, large type)"],
  [["?"], "This help"],
  [["Esc"], "Close this help"],
];

export class HelpDialog {
  constructor() {
    this.el = h("dialog", { id: "help-dialog", class: "help-dialog", "aria-labelledby": "help-h" },
      h("h2", { id: "help-h", text: "Keyboard shortcuts" }),
      h("dl", { class: "help-keys" },
        ...SHORTCUTS.flatMap(([keys, what]) => [
          h("dt", {}, ...keys.flatMap((k, i) => [i ? " " : null, h("kbd", { text: k })])),
          h("dd", { text: String(what) }),
        ])),
      h("p", { class: "help-note", text: "In a replay, click a lane's name in the timeline to step through that process's events." }),
      h("form", { method: "dialog" }, h("button", { class: "btn-secondary", text: "Close" })));
    document.body.append(this.el);
  }

  toggle() {
    if (this.el.open) this.el.close();
    else this.el.showModal();
  }
}
