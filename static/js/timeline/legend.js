// timeline/legend.js: the key to the timeline's colours, built from palette.js so it never drifts, in the
// current language (the timeline builds it again on a language switch).

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { BARS, CATEGORIES } from "./palette.js";

/**
 * Build the legend: the bars and tick categories seen in the run (everything when omitted).
 * @param {Set<string>} [cats] tick category ids seen
 * @param {Set<number>} [bars] bar types seen (SPAN.*)
 * @param {boolean} [lost] whether to show the lost-update marker
 * @returns {HTMLElement}
 */
export function buildLegend(cats, bars, lost = true) {
  const items = [
    ...BARS.filter((b) => !bars || bars.has(b.span)).map((b) =>
      h("li", {}, h("span", { class: `sw sw-bar${b.hatch ? " sw-hatch" : ""}`, dataset: { css: b.css } }), t(b.label)),
    ),
    ...CATEGORIES.filter((c) => !cats || cats.has(c.id)).map((c) =>
      h("li", {}, h("span", { class: "sw sw-tick", dataset: { css: c.css } }), t(c.label)),
    ),
    lost ? h("li", {}, h("span", { class: "sw sw-lost" }), t("tl.lostUpdate")) : null,
  ];
  for (const li of items) {
    if (!li) continue;
    const sw = /** @type {HTMLElement|null} */ (li.querySelector("[data-css]"));
    if (sw) sw.style.setProperty("--sw", `var(${sw.dataset.css})`);
  }
  return h("ul", { class: "tl-legend", "aria-label": t("tl.legend") }, ...items);
}
