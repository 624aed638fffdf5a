// components/run-list.js: recent runs with live status badges and event counts (from the lobby
// WebSocket), each a link to /runs/{id}; running runs get a Cancel button. A finished run's checkbox
// picks it for comparison: with two picked, "Compare 2" links to /compare?a=..&b=.. (a third pick
// drops the oldest).

import { cancelRun } from "../api.js";
import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";
import { onLang, t } from "../i18n.js";

const SHOWN = 30;
export const ACTIVE = new Set(["queued", "running"]);

/**
 * A status badge (colour per status, from app.css; its text follows the language, data-status does not).
 * @param {string} status
 * @returns {HTMLElement}
 */
export function badge(status) {
  return h("span", { class: `badge badge-${status}`, dataset: { status, i18n: `status.${status}` }, text: t(`status.${status}`) });
}

export class RunList {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Map<string, any>} */
    this.runs = new Map();
    /** @type {Map<string, {li: HTMLElement, link: HTMLElement, status: HTMLElement, count: HTMLElement, cancel: HTMLElement, pick: HTMLInputElement}>} */
    this.rows = new Map();
    this.current = "";
    /** @type {string[]} runs picked for comparison, oldest pick first (at most two) */
    this.picked = [];
    this.list = h("ol", { class: "run-list" });
    this.empty = h("p", { class: "dim run-list-empty", "data-i18n": "side.noRuns", text: t("side.noRuns") });
    this.compare = h("a", { class: "btn run-compare", href: "/compare", hidden: true, "data-i18n": "side.compare", text: t("side.compare") });
    root.append(this.empty, this.list, this.compare);
    onLang(() => {
      for (const [id, row] of this.rows) {
        row.cancel.setAttribute("aria-label", t("side.cancelRun", { id }));
        row.pick.setAttribute("aria-label", t("side.pick", { id }));
      }
    });
  }

  /**
   * Merge run objects by id (lobby frames carry only the runs that changed).
   * @param {any[]} runs
   */
  merge(runs) {
    for (const run of runs) {
      if (run.deleted) this.runs.delete(run.id); // the lobby's word that a run was deleted
      else this.runs.set(run.id, { ...this.runs.get(run.id), ...run });
    }
    this.render();
  }

  /** @param {string} id the open run ("" for none) */
  select(id) {
    this.current = id;
    this.render();
  }

  render() {
    const runs = [...this.runs.values()].sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0)).slice(0, SHOWN);
    this.empty.hidden = runs.length > 0;
    const items = runs.map((run) => this.item(run));
    const same = items.length === this.list.children.length && items.every((li, i) => this.list.children[i] === li);
    if (!same) replace(this.list, ...items); // rows are kept and updated in place: clicks are never lost
  }

  /**
   * The row of a run, created once and updated in place.
   * @param {any} run
   * @returns {HTMLElement}
   */
  item(run) {
    let row = this.rows.get(run.id);
    if (!row) {
      const status = h("span");
      const count = h("span", { class: "run-count", title: t("side.events"), "data-i18n-title": "side.events" });
      const link = h("a", { href: `/runs/${run.id}`, class: "run-link" },
        h("span", { class: "run-id mono", text: run.id }), h("span", { class: "run-scn", text: run.scenario }), status, count);
      const cancel = h("button", {
        type: "button", class: "btn-cancel btn-icon", "aria-label": t("side.cancelRun", { id: run.id }), title: t("side.cancel"), "data-i18n-title": "side.cancel",
        on: { click: () => this.cancel(run.id, /** @type {HTMLButtonElement} */ (cancel)) },
      }, "✕");
      const pick = /** @type {HTMLInputElement} */ (h("input", {
        type: "checkbox", class: "run-pick", "aria-label": t("side.pick", { id: run.id }), title: t("side.pick", { id: run.id }),
        on: { change: () => this.pick(run.id, pick.checked) },
      }));
      row = { li: h("li", { class: "run-item", dataset: { runId: run.id } }, pick, link, cancel), link, status, count, cancel, pick };
      this.rows.set(run.id, row);
    }
    row.li.dataset.status = run.status;
    if (row.status.dataset.status !== run.status) row.status.replaceWith((row.status = badge(run.status)));
    row.count.textContent = `${fmtInt(run.event_count ?? 0)} ev`;
    row.cancel.hidden = !ACTIVE.has(run.status);
    row.pick.hidden = ACTIVE.has(run.status);
    row.pick.checked = this.picked.includes(run.id);
    if (run.id === this.current) row.link.setAttribute("aria-current", "page");
    else row.link.removeAttribute("aria-current");
    return row.li;
  }

  /** Pick a run for comparison (or drop it). @param {string} id @param {boolean} on */
  pick(id, on) {
    this.picked = this.picked.filter((p) => p !== id && this.runs.has(p));
    if (on) this.picked.push(id);
    if (this.picked.length > 2) this.picked.shift();
    const [a, b] = this.picked;
    this.compare.hidden = !b;
    if (b) this.compare.setAttribute("href", `/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    this.render();
    for (const [rid, row] of this.rows) row.pick.checked = this.picked.includes(rid);
  }

  /** @param {string} id @param {HTMLButtonElement} btn */
  async cancel(id, btn) {
    btn.disabled = true;
    try {
      this.merge([await cancelRun(id)]);
    } catch {
      btn.disabled = false;
    }
  }
}
