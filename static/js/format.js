// format.js: number, time and value formatting shared by the panels and the timeline.

const intFmt = new Intl.NumberFormat("en-US");

/**
 * Thousands-separated integer ("12,345"); other values as text.
 * @param {unknown} n
 * @returns {string}
 */
export function fmtInt(n) {
  return typeof n === "number" && Number.isFinite(n) ? intFmt.format(n) : String(n ?? "–");
}

/**
 * Nanoseconds as milliseconds with a precision that suits the size ("0.012 ms", "4.21 ms", "1,250 ms").
 * @param {number} ns
 * @returns {string}
 */
export function fmtMs(ns) {
  const ms = ns / 1e6;
  const abs = Math.abs(ms);
  if (abs >= 1000) return `${intFmt.format(Math.round(ms))} ms`;
  if (abs >= 100) return `${ms.toFixed(0)} ms`;
  if (abs >= 10) return `${ms.toFixed(1)} ms`;
  if (abs >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/**
 * A duration in seconds for humans ("850 ms", "2.4 s", "3 min 05 s").
 * @param {number} seconds
 * @returns {string}
 */
export function fmtDuration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
}

/**
 * A JSON-ish short form of any value for labels and tooltips, cut at `max` characters.
 * @param {unknown} value
 * @param {number} [max]
 * @returns {string}
 */
export function fmtValue(value, max = 80) {
  let s;
  if (typeof value === "string") s = value;
  else if (typeof value === "number") s = Number.isInteger(value) ? String(value) : String(+value.toPrecision(6));
  else {
    try {
      s = JSON.stringify(value);
    } catch {
      s = String(value);
    }
  }
  if (s === undefined) s = String(value);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
