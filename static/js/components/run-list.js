// components/run-list.js: recent runs with live status badges and event counts (from the lobby
// WebSocket), each a link to /runs/{id}; running runs get a Cancel button, finished ones a Delete button
// that asks first (DELETE /api/runs/{id}). Two filters (scenario, status) narrow the list, live: a run
// that changes status moves in or out. A finished run's checkbox picks it for comparison: with two
// picked, "Compare 2" links to /compare?a=..&b=.. (a third pick drops the oldest).
// Deletions reach every open dashboard through the lobby ({"id", "deleted": true}); a refused delete
// says why in its row (409: still going), or above the list (401 / 403: not the presenter; the Delete
// buttons then go away, as they do on an audience page that follows a presentation).
// Test hooks: .run-item[data-run-id][data-status], .run-delete, .run-confirm-yes / -no, .run-error,
// #run-filter-scenario / #run-filter-status, .run-list-notice.

import { ApiError, cancelRun, deleteRun, listRuns } from "../api.js";
import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";
import { onLang, statusWord, t } from "../i18n.js";

const SHOWN = 30;
export const ACTIVE = new Set(["queued", "running"]);
/** app/engine/run.py RunStatus, in the order a run goes through them */
const STATUSES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"];
const SVG = "http://www.w3.org/2000/svg";

/**
 * A status badge (colour per status, from app.css; its text follows the language, data-status does not).
 * @param {string} status
 * @returns {HTMLElement}
 */
export function badge(status) {
  return h("span", { class: `badge badge-${status}`, dataset: { status, i18n: `status.${status}` }, text: t(`status.${status}`) });
}

/** A small waste-bin icon (inline SVG: no icon font, no network). @returns {SVGSVGElement} */
function binIcon() {
  const svg = document.createElementNS(SVG, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 16 16", width: "14", height: "14", "aria-hidden": "true", class: "icon" })) svg.setAttribute(k, v);
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", "M6 1.5h4M2.5 4h11M4 4l.8 10h6.4L12 4M6.5 6.5v5M9.5 6.5v5");
  svg.append(path);
  return svg;
}

/**
 * @typedef {object} Row
 * @property {HTMLElement} li
 * @property {HTMLElement} link
 * @property {HTMLElement} status
 * @property {HTMLElement} count
 * @property {HTMLElement} cancel
 * @property {HTMLButtonElement} del
 * @property {HTMLInputElement} pick
 * @property {HTMLElement|null} confirm the open "Delete run X?" strip
 * @property {HTMLElement} error
 * @property {(() => string)|null} message what went wrong, in the current language
 */

export class RunList {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Map<string, any>} */
    this.runs = new Map();
    /** @type {Map<string, Row>} */
    this.rows = new Map();
    this.current = "";
    /** @type {string[]} runs picked for comparison, oldest pick first (at most two) */
    this.picked = [];
    this.filter = { scenario: "", status: "" };
    // An audience page following a presentation never deletes; elsewhere a 401/403 tells us.
    this.canDelete = !document.body.dataset.follow;
    /** @type {(() => string)|null} */
    this.notice = null;
    this.scenarioSelect = /** @type {HTMLSelectElement} */ (h("select", { id: "run-filter-scenario", class: "run-filter", on: { change: () => this.setFilter() } }));
    this.statusSelect = /** @type {HTMLSelectElement} */ (h("select", { id: "run-filter-status", class: "run-filter", on: { change: () => this.setFilter() } }));
    const filters = h("div", { class: "run-filters", role: "group", "aria-label": t("list.filters"), "data-i18n-aria-label": "list.filters" },
      h("label", { class: "run-filter-field" }, h("span", { class: "run-filter-label", "data-i18n": "list.scenario", text: t("list.scenario") }), this.scenarioSelect),
      h("label", { class: "run-filter-field" }, h("span", { class: "run-filter-label", "data-i18n": "list.status", text: t("list.status") }), this.statusSelect));
    this.noticeEl = h("p", { class: "run-list-notice", role: "alert", hidden: true });
    this.list = h("ol", { class: "run-list" });
    this.empty = h("p", { class: "dim run-list-empty" });
    this.more = h("p", { class: "dim run-list-more", hidden: true });
    this.compare = h("a", { class: "btn run-compare", href: "/compare", hidden: true, "data-i18n": "side.compare", text: t("side.compare") });
    root.append(filters, this.noticeEl, this.empty, this.list, this.more, this.compare);
    this.fillStatuses();
    this.fillScenarios();
    onLang(() => {
      this.fillStatuses();
      this.fillScenarios();
      for (const [id, row] of this.rows) this.words(id, row);
      this.render();
    });
  }

  /**
   * Merge run objects by id (lobby frames carry only the runs that changed).
   * @param {any[]} runs
   * @param {boolean} [snapshot] these are all the runs there are (the lobby's first frame after a
   *   (re)connect): any other run was deleted meanwhile
   */
  merge(runs, snapshot = false) {
    if (snapshot) {
      const known = new Set(runs.map((r) => r.id));
      for (const id of [...this.runs.keys()]) if (!known.has(id)) this.forget(id);
    }
    for (const run of runs) {
      if (run.deleted) this.forget(run.id); // the lobby's word that a run was deleted
      else this.runs.set(run.id, { ...this.runs.get(run.id), ...run });
    }
    this.fillScenarios();
    this.render();
  }

  /** @param {string} id */
  forget(id) {
    this.runs.delete(id);
    this.rows.delete(id);
    if (this.picked.includes(id)) this.pick(id, false);
  }

  /** @param {string} id the open run ("" for none) */
  select(id) {
    this.current = id;
    this.render();
  }

  /** The filters changed: show the matching runs at once, and ask the server for its list too. */
  setFilter() {
    this.filter = { scenario: this.scenarioSelect.value, status: this.statusSelect.value };
    this.render();
    const asked = { ...this.filter };
    listRuns(asked)
      .then((runs) => {
        // the server's answer is a snapshot of the runs matching the filter
        const known = new Set(runs.map((/** @type {any} */ r) => r.id));
        for (const run of [...this.runs.values()]) if (this.matches(run, asked) && !known.has(run.id)) this.forget(run.id);
        this.merge(runs);
      })
      .catch(() => {}); // the lobby keeps the list anyway
  }

  /**
   * @param {any} run
   * @param {{scenario: string, status: string}} [filter]
   */
  matches(run, filter = this.filter) {
    return (!filter.scenario || run.scenario === filter.scenario) && (!filter.status || run.status === filter.status);
  }

  fillStatuses() {
    const chosen = this.statusSelect.value;
    replace(this.statusSelect, h("option", { value: "", text: t("list.allStatuses") }),
      ...STATUSES.map((s) => h("option", { value: s, text: statusWord(s) })));
    this.statusSelect.value = chosen;
  }

  /** Options: every scenario a run is known of, and the one chosen (even with no run left). */
  fillScenarios() {
    const chosen = this.scenarioSelect.value;
    const ids = new Set([...this.runs.values()].map((r) => String(r.scenario)));
    if (chosen) ids.add(chosen);
    const sorted = [...ids].sort();
    const now = [...this.scenarioSelect.options].map((o) => o.value);
    const label = t("list.allScenarios");
    if (now.join("\n") === ["", ...sorted].join("\n") && this.scenarioSelect.options[0]?.text === label) return;
    replace(this.scenarioSelect, h("option", { value: "", text: label }), ...sorted.map((id) => h("option", { value: id, text: id })));
    this.scenarioSelect.value = chosen;
  }

  render() {
    const matching = [...this.runs.values()].filter((r) => this.matches(r)).sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
    const runs = matching.slice(0, SHOWN);
    const emptyKey = this.runs.size === 0 ? "side.noRuns" : "list.noMatch";
    this.empty.hidden = runs.length > 0;
    this.empty.dataset.i18n = emptyKey;
    this.empty.textContent = t(emptyKey);
    this.more.hidden = matching.length <= SHOWN;
    this.more.textContent = t("list.older", { n: fmtInt(matching.length - SHOWN) });
    this.noticeEl.hidden = !this.notice;
    this.noticeEl.textContent = this.notice ? this.notice() : "";
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
        h("span", { class: "run-id mono", text: run.id }), h("span", { class: "run-scn", text: runLabel(run) }), status, count);
      const cancel = h("button", {
        type: "button", class: "btn-cancel btn-icon", title: t("side.cancel"), "data-i18n-title": "side.cancel",
        on: { click: () => this.cancel(run.id, /** @type {HTMLButtonElement} */ (cancel)) },
      }, "✕");
      const del = /** @type {HTMLButtonElement} */ (h("button", {
        type: "button", class: "run-delete btn-icon", title: t("list.delete"), "data-i18n-title": "list.delete",
        on: { click: () => this.ask(run.id) },
      }, binIcon()));
      const pick = /** @type {HTMLInputElement} */ (h("input", {
        type: "checkbox", class: "run-pick",
        on: { change: () => this.pick(run.id, pick.checked) },
      }));
      const error = h("p", { class: "run-error", role: "alert", hidden: true });
      row = { li: h("li", { class: "run-item", dataset: { runId: run.id } }, pick, link, cancel, del, error), link, status, count, cancel, del, pick, confirm: null, error, message: null };
      this.rows.set(run.id, row);
      this.words(run.id, row);
    }
    row.li.dataset.status = run.status;
    if (row.status.dataset.status !== run.status) row.status.replaceWith((row.status = badge(run.status)));
    row.count.textContent = t("list.count", { n: fmtInt(run.event_count ?? 0) });
    const active = ACTIVE.has(run.status);
    row.cancel.hidden = !active;
    row.del.hidden = active || !this.canDelete;
    if (row.confirm && row.del.hidden) this.close(row);
    row.pick.hidden = active;
    row.pick.checked = this.picked.includes(run.id);
    row.error.hidden = !row.message;
    row.error.textContent = row.message ? row.message() : "";
    if (run.id === this.current) row.link.setAttribute("aria-current", "page");
    else row.link.removeAttribute("aria-current");
    return row.li;
  }

  /** A row's labels that name its run, in the current language. @param {string} id @param {Row} row */
  words(id, row) {
    row.cancel.setAttribute("aria-label", t("side.cancelRun", { id }));
    row.del.setAttribute("aria-label", t("list.deleteRun", { id }));
    row.pick.setAttribute("aria-label", t("side.pick", { id }));
    row.pick.title = t("side.pick", { id });
    if (row.confirm) {
      const open = row.confirm;
      this.close(row);
      this.ask(id, open.contains(document.activeElement));
    }
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

  /**
   * The confirm step: "Delete run X and its events?" with Delete and Keep, under the row.
   * @param {string} id
   * @param {boolean} [focus] put the focus on Keep (the safe answer)
   */
  ask(id, focus = true) {
    const row = this.rows.get(id);
    if (!row || row.confirm) return;
    row.message = null;
    const question = t("list.confirm", { id });
    const yes = h("button", { type: "button", class: "run-confirm-yes btn-cancel", text: t("list.confirmYes"), on: { click: () => this.remove(id) } });
    const no = h("button", { type: "button", class: "run-confirm-no", text: t("list.confirmNo"), on: { click: () => this.close(row, true) } });
    row.confirm = h("div", {
      class: "run-confirm", role: "group", "aria-label": question,
      on: { keydown: (/** @type {KeyboardEvent} */ ev) => ev.key === "Escape" && (ev.stopPropagation(), this.close(row, true)) },
    }, h("span", { class: "run-confirm-text", text: question }), yes, no);
    row.error.before(row.confirm);
    row.del.setAttribute("aria-expanded", "true");
    this.render();
    if (focus) no.focus();
  }

  /** @param {Row} row @param {boolean} [refocus] give the focus back to the row's Delete button */
  close(row, refocus = false) {
    row.confirm?.remove();
    row.confirm = null;
    row.del.setAttribute("aria-expanded", "false");
    if (refocus && !row.del.hidden) row.del.focus();
  }

  /** Delete a run; whatever the server answers, the row says what happened. @param {string} id */
  async remove(id) {
    const row = this.rows.get(id);
    if (!row) return;
    for (const b of row.confirm?.querySelectorAll("button") ?? []) /** @type {HTMLButtonElement} */ (b).disabled = true;
    try {
      await deleteRun(id);
      this.merge([{ id, deleted: true }]); // the lobby says so too, to every dashboard
    } catch (err) {
      this.close(row);
      const status = err instanceof ApiError ? err.status : 0;
      const error = err instanceof Error ? err.message : String(err);
      if (status === 404) {
        this.merge([{ id, deleted: true }]); // gone already (another dashboard, or retention)
        return;
      }
      if (status === 401 || status === 403) {
        this.canDelete = false; // not the presenter: no Delete buttons from now on
        this.notice = () => t("list.needToken", { error });
      } else row.message = () => t(status === 409 ? "list.active" : "list.deleteFailed", { error });
      this.render();
    }
  }
}

/**
 * What a row calls its run: the scenario id, or for a traced program its script ("trace: demo.py").
 * @param {any} run
 * @returns {string}
 */
function runLabel(run) {
  const script = run.scenario === "trace" ? String(run.params?.script ?? "") : "";
  return script ? `trace: ${script.split("/").pop()}` : String(run.scenario);
}
