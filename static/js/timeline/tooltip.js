// timeline/tooltip.js: what is under the pointer (an event, else a bar), and the tooltip showing it.

import { h, replace } from "../dom.js";
import { fmtMs, fmtValue } from "../format.js";
import { t } from "../i18n.js";
import { lowerBound } from "./arrays.js";
import { BARS, SPAN } from "./palette.js";

/**
 * @typedef {{lane: number, t: number, ev?: import("../run-stream.js").RunEvent,
 *   span?: {type: number, label: string, start: number, end: number}}} Hit
 */

/**
 * The event nearest to time `t` in a lane within `tol` ns, else the lock/task bar covering `t`.
 * @param {import("./store.js").EventStore} store
 * @param {number} laneIdx
 * @param {number} t
 * @param {number} tol
 * @returns {Hit|null}
 */
export function hitTest(store, laneIdx, t, tol) {
  const lane = store.lanes[laneIdx];
  if (!lane) return null;
  const T = lane.t.a;
  const i = lowerBound(T, t, 0, lane.t.n);
  let best = -1;
  for (const k of [i - 1, i]) {
    if (k >= 0 && k < lane.t.n && Math.abs(T[k] - t) <= tol && (best < 0 || Math.abs(T[k] - t) < Math.abs(T[best] - t)))
      best = k;
  }
  if (best >= 0) return { lane: laneIdx, t: T[best], ev: store.events[lane.seq.a[best]] };
  for (const type of [SPAN.HOLD, SPAN.WAIT, SPAN.TASK, SPAN.LIFE]) {
    const s = lane.spans[type];
    for (let k = lowerBound(s.start.a, t - s.maxDur, 0, s.start.n); k < s.start.n && s.start.a[k] <= t; k++) {
      const end = s.end.a[k] === Infinity ? store.now : s.end.a[k];
      if (end >= t) return { lane: laneIdx, t, span: { type, label: s.label[k], start: s.start.a[k], end } };
    }
    for (const k of s.open.values()) {
      if (s.start.a[k] <= t) return { lane: laneIdx, t, span: { type, label: s.label[k], start: s.start.a[k], end: store.now } };
    }
  }
  return null;
}

/**
 * Fill the tooltip element for a hit.
 * @param {HTMLElement} el
 * @param {Hit} hit
 * @param {import("./store.js").EventStore} store
 */
export function renderTooltip(el, hit, store) {
  const lane = store.lanes[hit.lane];
  const who = h("div", { class: "tt-meta", text: `${lane.proc} · pid ${lane.pid}` });
  if (hit.ev) {
    const ev = hit.ev;
    const lost = ev.kind === "value.write" ? store.lost.bySeq.get(ev.seq) : undefined;
    const rows = Object.entries(ev.data).map(([k, v]) => [h("dt", { text: k }), h("dd", { text: fmtValue(v, 160) })]);
    replace(
      el,
      h("div", { class: "tt-kind", text: ev.kind }),
      who,
      rows.length ? h("dl", {}, ...rows.flat()) : null,
      h("div", { class: "tt-meta", text: `t = ${fmtMs(ev.t)} · seq ${ev.seq}` }),
      lost
        ? h("div", { class: "tt-lost",
            text: t(lost.lost > 1 ? "tl.lostTipMany" : "tl.lostTip", { value: fmtValue(ev.data.value), over: fmtValue(lost.over), n: lost.lost }) })
        : null,
    );
    return;
  }
  const span = /** @type {NonNullable<Hit["span"]>} */ (hit.span);
  const bar = BARS.find((b) => b.span === span.type);
  replace(
    el,
    h("div", { class: "tt-kind", text: `${t(bar?.label ?? "tl.bar")}${span.label ? ` · ${span.label}` : ""}` }),
    who,
    h("div", { class: "tt-meta", text: `${fmtMs(span.start)} → ${fmtMs(span.end)} (${fmtMs(span.end - span.start)})` }),
  );
}
