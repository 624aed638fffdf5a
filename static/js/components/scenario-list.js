// components/scenario-list.js: the scenario menu in the sidebar; each entry links to /scenarios/{id}.

import { h, replace } from "../dom.js";
import { ownWords, titleOf } from "../i18n.js";

export class ScenarioList {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.list = h("ul", { class: "scn-list" });
    root.append(this.list);
  }

  /** @param {any[]} scenarios */
  show(scenarios) {
    replace(
      this.list,
      ...scenarios.map((s) =>
        h("li", {},
          h("a", { href: `/scenarios/${encodeURIComponent(s.id)}`, class: "scn-link", dataset: { scenarioId: s.id } },
            h("span", { class: "scn-link-title", text: titleOf(s), ...ownWords(s.titles) }),
            h("span", { class: "scn-link-id mono", text: s.id }),
          ),
        ),
      ),
    );
  }

  /** @param {string} id the current scenario ("" for none) */
  select(id) {
    for (const a of this.list.querySelectorAll("a")) {
      if (a.dataset.scenarioId === id) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  /** @returns {string} error text shown when the list cannot load */
  fail(/** @type {string} */ message) {
    replace(this.list, h("li", { class: "dim", text: message }));
    return message;
  }
}
