// timeline/render.js: draws one frame of the timeline from an EventStore. Only the visible time range
// is visited; when more bars or ticks fall into one pixel column than can be told apart, they are
// aggregated per column (level of detail), so a million events draw in a few milliseconds
// (bench/browser.py measures it).

import { fmtValue } from "../format.js";
import { t } from "../i18n.js";
import { lowerBound, upperBound } from "./arrays.js";
import { drawExit, drawGrid, drawLabels } from "./labels.js";
import { CATEGORIES, NO_TICK, SPAN } from "./palette.js";

/**
 * @typedef {object} Frame
 * @property {CanvasRenderingContext2D} ctx
 * @property {import("./store.js").EventStore} store
 * @property {import("./viewport.js").Viewport} vp
 * @property {ReturnType<import("./palette.js").readColors>} colors
 * @property {CanvasPattern|string} hatch  fill for lock waits
 * @property {number} width  CSS pixels
 * @property {number} height
 * @property {number} labelW lane-label column width
 * @property {number} axisH
 * @property {number} laneH
 * @property {number} fs     font scale (1 = 16px root)
 * @property {boolean} live  the run is still going: draw the "now" line
 * @property {{lane: number, t: number}|null} hover
 * @property {number|null} cursor  replay cursor time (ns): a solid line there
 * @property {string} selected     key ("pid\u0000proc") of the selected lane, "" for none
 */

const LABEL_CATS = new Set(["read", "write", "array"].map((id) => CATEGORIES.findIndex((c) => c.id === id)));
let coverage = new Float32Array(2048);

/** @param {Frame} f */
export function drawFrame(f) {
  const { ctx, colors, width, height, labelW, axisH, laneH, store } = f;
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, width, height);
  store.lost.update();
  store.rows.forEach((lane, i) => {
    if (i % 2) {
      ctx.fillStyle = colors.laneAlt;
      ctx.fillRect(0, axisH + i * laneH, width, laneH);
    }
  });
  const selected = f.selected ? store.laneByKey.get(f.selected) : undefined;
  ctx.save();
  ctx.beginPath();
  ctx.rect(labelW, 0, width - labelW, height);
  ctx.clip();
  drawGrid(f);
  const columns = store.rows.map((lane) => tickColumns(f, lane));
  const busiest = Math.max(1, ...columns.map((c) => c?.max ?? 0));
  for (const lane of store.rows) drawLane(f, lane, axisH + lane.row * laneH, columns[lane.row], busiest);
  if (f.live) {
    const x = labelW + f.vp.x(store.maxT);
    ctx.strokeStyle = colors.now;
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 5]);
    ctx.beginPath();
    ctx.moveTo(x, axisH);
    ctx.lineTo(x, height);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (f.cursor !== null) {
    const x = Math.round(labelW + f.vp.x(f.cursor));
    ctx.fillStyle = colors.cursor;
    ctx.fillRect(x - 1.5, 0, 3, height);
  }
  if (f.hover) {
    const x = labelW + f.vp.x(f.hover.t);
    const y = axisH + store.lanes[f.hover.lane].row * laneH;
    ctx.fillStyle = colors.text;
    ctx.fillRect(Math.round(x) - 1, y, 2, laneH);
  }
  ctx.restore();
  drawLabels(f);
  if (selected) {
    ctx.strokeStyle = colors.selected;
    ctx.lineWidth = 3;
    ctx.strokeRect(1.5, axisH + selected.row * laneH + 1.5, width - 3, laneH - 3);
  }
}

/**
 * @param {Frame} f
 * @param {import("./store.js").Lane} lane
 * @param {number} y top of the lane
 * @param {Columns|null} columns its ticks per pixel column, when too many are in view to draw one by one
 * @param {number} busiest most events in one column of any lane
 */
function drawLane(f, lane, y, columns, busiest) {
  const { ctx, colors, laneH } = f;
  // Vertical layout of a lane: annotations (lost updates) / event ticks / bars.
  const annotH = Math.round(laneH * 0.3);
  const tickTop = y + annotH + 3;
  const barTop = y + Math.round(laneH * 0.62);
  const barH = y + laneH - 5 - barTop;
  const life = lane.spans[SPAN.LIFE];
  drawSpans(f, life, y + 2, laneH - 4, colors.bars[SPAN.LIFE]);
  if (life.start.n) {
    ctx.fillStyle = colors.lifeEdge;
    const xa = Math.max(0, f.vp.x(life.start.a[0]));
    const end = life.end.a[0] === Infinity ? f.store.now : life.end.a[0];
    const xb = Math.min(f.vp.width, f.vp.x(end));
    if (xb > xa) {
      ctx.fillRect(f.labelW + xa, y + 2, xb - xa, 1);
      ctx.fillRect(f.labelW + xa, y + laneH - 3, xb - xa, 1);
    }
  }
  drawSpans(f, lane.spans[SPAN.WAIT], barTop, barH, f.hatch);
  drawSpans(f, lane.spans[SPAN.HOLD], barTop, barH, colors.bars[SPAN.HOLD], 3);
  // Holding one lock while waiting for another (a deadlock): the wait shows in the hold's lower half.
  const waitTop = barTop + Math.round(barH / 2);
  drawSpans(f, lane.spans[SPAN.WAIT], waitTop, barTop + barH - waitTop, colors.bars[SPAN.LIFE]);
  drawSpans(f, lane.spans[SPAN.WAIT], waitTop, barTop + barH - waitTop, f.hatch);
  drawSpans(f, lane.spans[SPAN.TASK], barTop, barH, colors.bars[SPAN.TASK], 3);
  if (columns) drawColumns(f, columns, busiest, tickTop, barTop - 3 - tickTop);
  else drawTicks(f, lane, tickTop, barTop - 3 - tickTop);
  drawMarkers(f, lane, y + 2, annotH, barTop - 3);
  if (life.start.n && life.end.a[0] !== Infinity && lane.exitcode !== null)
    drawExit(f, lane, f.labelW + f.vp.x(life.end.a[0]), barTop, barH);
}

/**
 * Bars of one type. Few visible: each drawn exactly. Many: per-column coverage, drawn as runs whose
 * opacity says how much of each column the bars fill.
 * @param {Frame} f
 * @param {import("./store.js").Spans} spans
 * @param {number} y
 * @param {number} h
 * @param {CanvasPattern|string} fill
 * @param {number} [minW] narrowest bar drawn, in pixels (short lock holds must stay visible)
 */
function drawSpans(f, spans, y, h, fill, minW = 1.5) {
  const n = spans.start.n;
  if (!n) return;
  const { ctx, vp, labelW } = f;
  const S = spans.start.a;
  const E = spans.end.a;
  const now = f.store.now;
  const lo = lowerBound(S, vp.t0 - spans.maxDur, 0, n);
  const hi = upperBound(S, vp.t1, 0, n);
  const indices = [...spans.open.values()].filter((i) => i < lo);
  const W = Math.ceil(vp.width);
  const many = hi - lo > W / 4;
  if (many && coverage.length < W + 1) coverage = new Float32Array(W + 1);
  if (many) coverage.fill(0, 0, W + 1);
  ctx.fillStyle = fill;
  const visit = (/** @type {number} */ i) => {
    const end = E[i] === Infinity ? now : E[i];
    if (end < vp.t0 || S[i] > vp.t1) return;
    const a = Math.max(0, vp.x(S[i]));
    const b = Math.min(W, vp.x(end));
    if (!many) {
      ctx.fillRect(labelW + a, y, Math.max(minW, b - a), h);
      return;
    }
    const ia = Math.floor(a);
    const ib = Math.min(W, Math.floor(b));
    if (ia === ib) coverage[ia] += Math.max(b - a, 1e-6); // the level floor keeps a lone bar visible
    else {
      coverage[ia] += ia + 1 - a;
      for (let k = ia + 1; k < ib; k++) coverage[k] += 1;
      coverage[ib] += b - ib;
    }
  };
  for (const i of indices) visit(i);
  for (let i = lo; i < hi; i++) visit(i);
  if (!many) return;
  const level = (/** @type {number} */ c) => (c <= 0 ? 0 : Math.max(2, Math.min(8, Math.round(c * 8))));
  for (let x = 0; x < W; ) {
    const q = level(coverage[x]);
    let x2 = x + 1;
    while (x2 < W && level(coverage[x2]) === q) x2++;
    if (q) {
      ctx.globalAlpha = q / 8;
      ctx.fillRect(labelW + x, y, x2 - x, h);
    }
    x = x2;
  }
  ctx.globalAlpha = 1;
}

/** @typedef {{cat: Int16Array, count: Uint32Array, max: number}} Columns */

/**
 * Level of detail for ticks: with more of a lane's events in view than twice the pixel columns, they
 * are aggregated per column: its count, and the category of its first ticked event (-1: none).
 * @param {Frame} f
 * @param {import("./store.js").Lane} lane
 * @returns {Columns|null} null when few enough to draw one by one
 */
function tickColumns(f, lane) {
  const { vp } = f;
  const T = lane.t.a;
  const C = lane.cat.a;
  let i = lowerBound(T, vp.t0, 0, lane.t.n);
  const end = upperBound(T, vp.t1, i, lane.t.n);
  if (end - i <= vp.width * 2) return null;
  const W = Math.ceil(vp.width);
  const cat = new Int16Array(W + 1).fill(-1);
  const count = new Uint32Array(W + 1);
  let max = 0;
  while (i < end) {
    const col = Math.min(W, Math.floor(vp.x(T[i])));
    const j = lowerBound(T, vp.tAt(col + 1), i + 1, end); // binary search: O(columns log n), not O(n)
    let k = i;
    while (k < j && C[k] === NO_TICK) k++;
    if (k < j) cat[col] = C[k];
    count[col] = j - i;
    max = Math.max(max, j - i);
    i = j;
  }
  return { cat, count, max };
}

/**
 * One tick per pixel column, as opaque as the column is busy (log scale against the busiest column of
 * any lane): a million events still show where they were dense and where a process stalled.
 * @param {Frame} f
 * @param {Columns} columns
 * @param {number} busiest
 * @param {number} y
 * @param {number} h
 */
function drawColumns(f, columns, busiest, y, h) {
  const { ctx, labelW, colors } = f;
  const { cat, count } = columns;
  const scale = 0.65 / Math.log1p(busiest);
  for (let x = 0; x < cat.length; x++) {
    if (cat[x] < 0) continue;
    ctx.globalAlpha = 0.35 + scale * Math.log1p(count[x]);
    ctx.fillStyle = colors.ticks[cat[x]];
    ctx.fillRect(labelW + x, y, 1, h);
  }
  ctx.globalAlpha = 1;
}

/**
 * Event ticks, one by one; value reads and writes carry their value as text when there is room for it.
 * @param {Frame} f
 * @param {import("./store.js").Lane} lane
 * @param {number} y
 * @param {number} h
 */
function drawTicks(f, lane, y, h) {
  const { ctx, vp, labelW, colors, fs } = f;
  const n = lane.t.n;
  const T = lane.t.a;
  const C = lane.cat.a;
  let i = lowerBound(T, vp.t0, 0, n);
  const end = upperBound(T, vp.t1, i, n);
  const fontPx = Math.round(13 * fs);
  const showText = h >= fontPx + 2;
  ctx.font = `700 ${fontPx}px ${colors.mono}`;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const charW = fontPx * 0.62;
  /** @type {{x: number, text: string, color: string}|null} */
  let pending = null;
  let prevX = -1;
  let prevC = -1;
  for (; i < end; i++) {
    if (C[i] === NO_TICK) continue;
    const x = Math.round(labelW + vp.x(T[i]));
    if (showText && LABEL_CATS.has(C[i])) {
      if (pending && x - pending.x > pending.text.length * charW + 8) label(pending);
      const ev = f.store.events[lane.seq.a[i]];
      pending = { x, text: fmtValue(ev?.data.value, 12), color: colors.ticks[C[i]] };
    }
    if (x === prevX && C[i] === prevC) continue;
    prevX = x;
    prevC = C[i];
    ctx.fillStyle = colors.ticks[C[i]];
    ctx.fillRect(x - 1, y, 2, h);
  }
  if (pending && labelW + vp.width - pending.x > pending.text.length * charW + 8) label(pending);

  /** @param {{x: number, text: string, color: string}} p */
  function label(p) {
    ctx.fillStyle = p.color;
    ctx.fillText(p.text, p.x + 4, y + h / 2 + 1);
  }
}

/**
 * Lost-update markers in the lane's annotation row: a red triangle over each write that overwrote
 * others, and a "lost N" pill per cluster of nearby markers (their sum).
 * @param {Frame} f
 * @param {import("./store.js").Lane} lane
 * @param {number} y top of the annotation row
 * @param {number} h its height
 * @param {number} tickBottom where the write ticks end (a thin red line marks the write)
 */
function drawMarkers(f, lane, y, h, tickBottom) {
  const m = f.store.lost.byLane.get(lane.index);
  if (!m) return;
  const { ctx, vp, labelW, colors, fs } = f;
  const T = m.t.a;
  let i = lowerBound(T, vp.t0, 0, m.t.n);
  const end = upperBound(T, vp.t1, i, m.t.n);
  const fontPx = Math.min(Math.round(13 * fs), h - 5);
  const pills = fontPx >= 10;
  const gap = pills ? fontPx * 7 : 12;
  ctx.font = `800 ${fontPx}px ${colors.font}`;
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  const tri = Math.min(6, Math.max(3, h / 3));
  const dense = end - i > vp.width / 6; // zoomed out: no per-write lines, they would hide the ticks
  while (i < end) {
    const x0 = labelW + vp.x(T[i]);
    let sum = 0;
    let lastX = -1;
    ctx.fillStyle = colors.lost;
    for (; i < end && labelW + vp.x(T[i]) - x0 < gap; i++) {
      sum += m.lost.a[i];
      const x = Math.round(labelW + vp.x(T[i]));
      if (x === lastX) continue;
      lastX = x;
      if (!dense) ctx.fillRect(x - 0.5, y + h - 2, 1, tickBottom - (y + h - 2));
      ctx.beginPath();
      ctx.moveTo(x - tri, y + h - 2 - tri * 1.4);
      ctx.lineTo(x + tri, y + h - 2 - tri * 1.4);
      ctx.lineTo(x, y + h - 2);
      ctx.fill();
    }
    if (!pills) continue;
    const text = t("tl.lostPill", { n: sum });
    const w = ctx.measureText(text).width + 10;
    const px = Math.min(x0 + tri + 2, labelW + vp.width - w);
    ctx.fillStyle = colors.lost;
    ctx.beginPath();
    ctx.roundRect(px, y, w, fontPx + 5, 4);
    ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.fillText(text, px + 5, y + (fontPx + 5) / 2 + 1);
  }
}

