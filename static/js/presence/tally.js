// presence/tally.js: a poll's answers as a column chart, legible on a projector. Numbers with more
// than MAX_COLUMNS distinct values are binned into ranges; the right answer's column (once the
// presenter shows it) and this browser's own answer are marked.
// Test hooks on the root (.tally): data-count (answers), data-columns, each column
// .tally-col[data-value][data-count] (a bin's data-value is "lo..hi"), .right / .mine.

import { h } from "../dom.js";
import { fmtInt } from "../format.js";
import { t } from "../i18n.js";

const MAX_COLUMNS = 12;

/**
 * @typedef {{label: string, title?: string, key: string, count: number, has: (v: number) => boolean}} Column
 */

/** @param {number} v @returns {string} */
function fmtNum(v) {
  return Number.isInteger(v) ? fmtInt(v) : String(Math.round(v * 1000) / 1000);
}

/** A bin's lower bound, short enough for a narrow column ("1.1k", "12k", "3.5M"); its title has the range. @param {number} v */
function fmtShort(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Math.round(v / 1e5) / 10}M`;
  if (a >= 1e4) return `${Math.round(v / 1e3)}k`;
  if (a >= 1e3) return `${Math.round(v / 100) / 10}k`;
  return fmtNum(Math.round(v * 10) / 10);
}

/**
 * @param {any} poll the poll object of a frame (with its tally)
 * @returns {Column[]}
 */
export function columns(poll) {
  const tally = /** @type {[number, number][]} */ (poll.tally ?? []);
  if (poll.kind === "choice")
    return tally.map(([i, count]) => ({ label: poll.choices[i] ?? String(i), key: String(i), count, has: (v) => v === i }));
  if (tally.length <= MAX_COLUMNS)
    return tally.map(([v, count]) => ({ label: fmtNum(v), key: String(v), count, has: (x) => x === v }));
  const lo = tally[0][0];
  const hi = tally[tally.length - 1][0];
  const ints = tally.every(([v]) => Number.isInteger(v));
  const bins = 8;
  const width = ints ? Math.ceil((hi - lo + 1) / bins) : (hi - lo) / bins;
  /** @type {Column[]} */
  const out = [];
  for (let b = 0; b < bins; b++) {
    const from = lo + b * width;
    if (from > hi) break; // whole-number bins can cover the range in fewer than `bins`
    const to = ints ? from + width - 1 : from + width;
    const last = b === bins - 1 || from + width > hi;
    const has = (/** @type {number} */ v) => v >= from && (last ? v <= hi : ints ? v <= to : v < to);
    const count = tally.reduce((n, [v, c]) => n + (has(v) ? c : 0), 0);
    const range = `${fmtNum(from)}–${fmtNum(last ? hi : to)}`;
    out.push({ label: ints && width === 1 ? fmtNum(from) : fmtShort(from), title: range, key: `${from}..${last ? hi : to}`, count, has });
    if (last) break;
  }
  return out;
}

/** @param {[number, number][]} tally @returns {number|null} */
function median(tally) {
  const n = tally.reduce((s, [, c]) => s + c, 0);
  if (!n) return null;
  let seen = 0;
  for (const [v, c] of tally) {
    seen += c;
    if (seen * 2 >= n) return v;
  }
  return null;
}

/**
 * The chart and a one-line summary.
 * @param {any} poll
 * @param {number|null} mine this browser's answer, if any
 * @returns {HTMLElement}
 */
export function renderTally(poll, mine = null) {
  const cols = columns(poll);
  const top = Math.max(1, ...cols.map((c) => c.count));
  const right = typeof poll.answer === "number" ? poll.answer : null;
  const chart = h("div", { class: "tally", dataset: { count: String(poll.count), columns: String(cols.length) } },
    ...cols.map((c) => {
      const cls = ["tally-col", right !== null && c.has(right) ? "right" : "", mine !== null && c.has(mine) ? "mine" : ""].filter(Boolean).join(" ");
      const bar = h("span", { class: "tally-bar" });
      bar.style.height = `${(100 * c.count) / top}%`; // CSSOM: the CSP refuses style attributes
      return h("div", { class: cls, dataset: { value: c.key, count: String(c.count) }, title: `${c.title ?? c.label}: ${c.count}` },
        h("span", { class: "tally-n", text: fmtInt(c.count) }),
        h("span", { class: "tally-bar-box" }, bar),
        h("span", { class: "tally-label", text: c.label }));
    }));
  const tally = /** @type {[number, number][]} */ (poll.tally ?? []);
  const parts = [t("poll.answers", { n: fmtInt(poll.count) })];
  const med = poll.kind === "number" ? median(tally) : null;
  if (med !== null) parts.push(t("poll.median", { v: fmtNum(med) }));
  if (right !== null) {
    const exact = tally.reduce((n, [v, c]) => n + (v === right ? c : 0), 0);
    const shown = poll.kind === "choice" ? (poll.choices[right] ?? String(right)) : fmtNum(right);
    parts.push(t("poll.right", { v: shown, n: fmtInt(exact) }));
  }
  return h("div", { class: "tally-box" }, chart, h("p", { class: "tally-summary", text: parts.join(" · ") }));
}
