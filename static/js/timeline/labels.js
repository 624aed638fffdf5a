// timeline/labels.js: the text around the timeline's marks: the time axis with its grid, the lane
// labels (process name, pid, exit code) and the exit code after each lifetime bar.

import { t } from "../i18n.js";
import { niceStep } from "./viewport.js";

/** @typedef {import("./render.js").Frame} Frame */

/** Axis with ms labels, and faint grid lines through the lanes. @param {Frame} f */
export function drawGrid(f) {
  const { ctx, vp, colors, labelW, axisH, width, height, fs } = f;
  ctx.font = `600 ${Math.round(14 * fs)}px ${colors.font}`;
  const label = (/** @type {number} */ t, /** @type {number} */ d) => `${(t / 1e6).toFixed(d)} ms`;
  const places = (/** @type {number} */ step) => Math.max(0, -Math.floor(Math.log10(step / 1e6)));
  // Labels at least their own width (plus a gap) apart: measure the widest one at a first guess.
  const guess = niceStep(vp.nsPerPx * 80 * fs);
  const widest = ctx.measureText(label(Math.max(Math.abs(vp.t0), Math.abs(vp.t1)), places(guess))).width;
  const step = niceStep(vp.nsPerPx * Math.max(80 * fs, widest + 24));
  const decimals = places(step);
  ctx.fillStyle = colors.bg;
  ctx.fillRect(labelW, 0, width - labelW, axisH);
  ctx.textBaseline = "middle";
  ctx.textAlign = "center";
  for (let at = Math.ceil(vp.t0 / step) * step; at <= vp.t1; at += step) {
    const x = Math.round(labelW + vp.x(at)) + 0.5;
    ctx.fillStyle = colors.grid;
    ctx.fillRect(x, axisH, 1, height - axisH);
    ctx.fillStyle = colors.axis;
    ctx.fillRect(x, axisH - 7, 1, 7);
    const text = label(at, decimals);
    const half = ctx.measureText(text).width / 2;
    if (x - half > labelW + 2 && x + half < width - 2) ctx.fillText(text, x, axisH / 2 - 2);
  }
  ctx.fillStyle = colors.axis;
  ctx.fillRect(labelW, axisH - 1, width - labelW, 1);
}

/**
 * "exit 0" after a lifetime bar; non-zero (negative: killed by a signal) in red.
 * @param {Frame} f
 * @param {import("./store.js").Lane} lane
 * @param {number} x
 * @param {number} y
 * @param {number} h
 */
export function drawExit(f, lane, x, y, h) {
  const { ctx, colors, fs } = f;
  const bad = lane.exitcode !== 0;
  ctx.font = `700 ${Math.round(13 * fs)}px ${colors.font}`;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const text = t("tl.exit", { code: String(lane.exitcode) });
  const w = ctx.measureText(text).width;
  const right = f.labelW + f.vp.width;
  let tx = x + 6;
  if (tx + w > right) tx = x - 6 - w; // no room after the bar: inside its end
  if (tx + w > right || tx < f.labelW) return;
  ctx.fillStyle = colors.bg;
  ctx.fillRect(tx - 3, y + h / 2 - 8 * f.fs, w + 6, 16 * f.fs);
  ctx.fillStyle = bad ? colors.bad : colors.muted;
  ctx.fillText(text, tx, y + h / 2);
}

/** Lane labels: process name, pid and exit code, over the left column. @param {Frame} f */
export function drawLabels(f) {
  const { ctx, colors, labelW, axisH, laneH, fs, store } = f;
  ctx.fillStyle = colors.bg;
  ctx.fillRect(0, 0, labelW, axisH);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  const two = laneH >= 40 * fs;
  for (const lane of store.rows) {
    const y = axisH + lane.row * laneH;
    ctx.fillStyle = lane.row % 2 ? colors.laneAlt : colors.bg;
    ctx.fillRect(0, y, labelW, laneH);
    const thread = lane.thread;
    const indent = thread ? 22 : 12;
    const name = thread ? `↳ ${lane.proc.split("/").slice(1).join("/")}` : lane.proc;
    const exit = lane.exitcode === null ? "" : ` · ${t("tl.exitLane", { code: String(lane.exitcode) })}`; // short: the column is narrow
    ctx.font = `700 ${Math.round((two ? 16 : 15) * fs)}px ${colors.font}`;
    ctx.fillStyle = colors.text;
    const nameY = two ? y + laneH * 0.36 : y + laneH / 2;
    const shown = fit(ctx, name, labelW - indent - 8);
    ctx.fillText(shown, indent, nameY);
    if (!two) {
      const x = indent + ctx.measureText(shown).width + 8;
      ctx.font = `500 ${Math.round(12 * fs)}px ${colors.font}`;
      ctx.fillStyle = lane.exitcode ? colors.bad : colors.muted;
      const rest = `${lane.pid}${lane.exitcode ? exit : ""}`;
      if (x + ctx.measureText(rest).width < labelW - 6) ctx.fillText(rest, x, nameY + 1);
    } else {
      ctx.font = `500 ${Math.round(13 * fs)}px ${colors.font}`;
      ctx.fillStyle = lane.exitcode ? colors.bad : colors.muted;
      const max = labelW - indent - 8;
      const full = `pid ${lane.pid}${exit}`; // without "pid " when narrow: the exit code matters more
      ctx.fillText(fit(ctx, ctx.measureText(full).width <= max ? full : `${lane.pid}${exit}`, max), indent, y + laneH * 0.72);
    }
  }
  ctx.fillStyle = colors.axis;
  ctx.fillRect(labelW - 1, axisH, 1, store.lanes.length * laneH);
}

/**
 * Cut text with an ellipsis to fit `max` pixels.
 * @param {CanvasRenderingContext2D} ctx
 * @param {string} text
 * @param {number} max
 * @returns {string}
 */
function fit(ctx, text, max) {
  if (ctx.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > max) s = s.slice(0, -1);
  return `${s}…`;
}
