// code/source-diff.js: the compare page's "what changed in the program": a line diff (code/diff.js) of
// two code runs' sources, changes with a line of context, each line marked by more than colour
// (+ / − and struck-through removals), numbered in A and B. Test hooks: #cmp-diff[data-added][data-removed],
// .diff-line[data-op].

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { diffLines, hunks } from "./diff.js";

/**
 * Show the diff of A's and B's programs in a <details> (hidden unless both runs have a source).
 * @param {HTMLDetailsElement} root
 * @param {any} startA run.start data of A
 * @param {any} startB run.start data of B
 * @returns {boolean} whether there is a diff to show
 */
export function showSourceDiff(root, startA, startB) {
  const a = typeof startA?.source === "string" ? startA.source : null;
  const b = typeof startB?.source === "string" ? startB.source : null;
  root.hidden = a === null || b === null;
  if (a === null || b === null) return false;
  const lines = diffLines(a, b);
  const added = lines.filter((l) => l.op === "add").length;
  const removed = lines.filter((l) => l.op === "del").length;
  Object.assign(root.dataset, { added: String(added), removed: String(removed) });
  const render = () => {
    const summary = h("summary", {},
      h("span", { text: t("code.diffH") }),
      h("span", { class: "cmp-diff-summary", text: added || removed ? t("code.diffSummary", { added, removed }) : t("code.diffSame") }));
    const rows = hunks(lines, 1).map((l) => { // one line of context: the change, and the time axis, on one screen
      if (l.op === "skip") return h("div", { class: "diff-skip", text: t("code.diffSkip", { n: l.count }) });
      const op = l.op === "add" ? "+" : l.op === "del" ? "−" : " ";
      const label = l.op === "add" ? t("code.diffAdded") : l.op === "del" ? t("code.diffRemoved") : "";
      return h("div", { class: `diff-line diff-${l.op}`, dataset: { op: l.op } },
        h("span", { class: "diff-no", text: l.a === null ? "" : String(l.a) }),
        h("span", { class: "diff-no", text: l.b === null ? "" : String(l.b) }),
        h("span", { class: "diff-op", title: label, "aria-label": label, text: op }),
        h("span", { class: "diff-text", text: l.text || " " }));
    });
    replace(root, summary, h("div", { class: "diff", tabindex: "0", role: "group", "aria-label": t("code.diffH") }, ...rows));
  };
  render();
  return true;
}
