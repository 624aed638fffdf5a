// timeline/timeline.js: <mp-timeline>, the canvas timeline of one run: one lane per (pid, proc),
// toolbar (zoom, fit all, follow live), hover tooltip and legend. Redraws at most once per animation
// frame and only when something changed. Replay (components/replay-bar.js) swaps the events for a prefix
// (replaceEvents) and sets a cursor: the axis then spans the whole run and a line marks the cursor.
// A click on a lane label selects that lane ("mp:lane-select", detail {pid, proc} or null).
// Test hooks: data-lanes, data-events, data-lost-marked, data-live, data-ended ("true" once run.end is
// drawn), data-cursor-t (replay cursor, "" when off), data-selected-lane ("pid/proc", "" when none),
// data-t0 / data-ns-per-px (the visible window, rounded ns).
// Linked timelines (the compare page): set fitEnd (ns) so that "fit all" spans the same time, listen
// for "mp:view" (detail {t0, nsPerPx}: the window after a redraw that changed it) and pass it to the
// other timeline's setView(). fitHeight (px) > 0 caps the canvas height instead of the window's.
// Across screens of other widths (presenter follow): `span` is the visible {t0, t1} (null while it fits
// everything) and showSpan() shows such a span at this timeline's own width.

import { settle } from "../announce.js";
import { h } from "../dom.js";
import { fmtMs } from "../format.js";
import { onLang, t } from "../i18n.js";
import { attachInput } from "./interact.js";
import { buildLegend } from "./legend.js";
import { readColors } from "./palette.js";
import { drawFrame } from "./render.js";
import { EventStore } from "./store.js";
import { hitTest, renderTooltip } from "./tooltip.js";
import { Viewport } from "./viewport.js";

const AXIS_H = 34;
const MIN_LANE_H = 20;
const MAX_LANE_H = 64;

export class MpTimeline extends HTMLElement {
  constructor() {
    super();
    this.store = new EventStore();
    this.vp = new Viewport();
    /** fit everything on every change until the user zooms or pans */
    this.autoFit = true;
    /** keep the newest events in view while the run is live */
    this.follow = true;
    this.live = false;
    this.dirty = true;
    this.raf = 0;
    /** @type {import("./tooltip.js").Hit|null} */
    this.hover = null;
    this.legendKey = "";
    this.built = false;
    /** @type {{t: number, end: number}|null} replay cursor and the run's end (the axis spans [0, end]) */
    this.cursor = null;
    /** key ("pid\u0000proc") of the selected lane, "" for none */
    this.selected = "";
    /** fit-all spans at least [0, fitEnd] (ns): linked timelines share one */
    this.fitEnd = 0;
    /** height (px) the lanes fit into; 0: what is left of the window */
    this.fitHeight = 0;
    /** @type {{t0: number, nsPerPx: number}} the window last announced with "mp:view" */
    this.shown = { t0: NaN, nsPerPx: NaN };
    /** @type {{t0: number, t1: number}|null} a span to show once the plot's width is known */
    this.pendingSpan = null;
    /** the viewer zoomed or panned since the last frame: its new window is said aloud (announce.js) */
    this.moved = false;
  }

  /** @returns {{t0: number, t1: number}|null} the visible time span (ns), null while fitting all */
  get span() {
    return this.autoFit ? null : { t0: this.vp.t0, t1: this.vp.t1 };
  }

  /** Show [t0, t1] across the plot, whatever its width; null: fit all. @param {{t0: number, t1: number}|null} span */
  showSpan(span) {
    if (!span) return this.fitAll();
    this.autoFit = false;
    this.setFollow(false);
    this.pendingSpan = span;
    this.invalidate();
  }

  /**
   * Show this window (another timeline's), without announcing it back.
   * @param {{t0: number, nsPerPx: number}} view
   */
  setView(view) {
    if (sameView(view, this.shown)) return;
    this.autoFit = false;
    this.setFollow(false);
    this.vp.t0 = view.t0;
    this.vp.nsPerPx = view.nsPerPx;
    this.shown = { ...view };
    this.invalidate();
  }

  connectedCallback() {
    if (this.built) return;
    this.built = true;
    // Words are i18n keys; translate() (i18n.js) refills them on a language switch.
    const btn = (/** @type {string} */ text, /** @type {string} */ title, /** @type {() => void} */ fn) =>
      h("button", {
        type: "button", class: "tl-btn", title: t(title), "aria-label": t(title), on: { click: fn },
        "data-i18n": text.startsWith("tl.") ? text : null, "data-i18n-title": title, "data-i18n-aria-label": title,
      }, text.startsWith("tl.") ? t(text) : text);
    this.followBtn = btn("tl.follow", "tl.followTitle", () => this.setFollow(!this.follow));
    this.rangeEl = h("span", { class: "tl-range", "aria-live": "off" });
    this.canvas = h("canvas", {
      class: "tl-canvas",
      tabindex: "0",
      role: "img",
      "aria-label": t("tl.canvas"),
      "data-i18n-aria-label": "tl.canvas",
    });
    this.tooltip = h("div", { class: "tl-tooltip", role: "tooltip", hidden: true });
    this.wrap = h("div", { class: "tl-wrap" }, this.canvas, this.tooltip);
    this.legendEl = h("div", { class: "tl-legend-wrap" });
    this.append(
      h(
        "div",
        { class: "tl-toolbar" },
        h(
          "div",
          { class: "tl-buttons", role: "group", "aria-label": t("tl.zoom"), "data-i18n-aria-label": "tl.zoom" },
          btn("−", "tl.zoomOut", () => this.zoomBy(1 / 1.6)),
          btn("+", "tl.zoomIn", () => this.zoomBy(1.6)),
          btn("tl.fit", "tl.fitTitle", () => this.fitAll()),
          btn("tl.action", "tl.actionTitle", () => this.fitAction()),
          this.followBtn,
        ),
        this.rangeEl,
      ),
      this.wrap,
      this.legendEl,
    );
    this.ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext("2d"));
    this.colors = readColors();
    this.hatch = this.makeHatch();
    attachInput(this.canvas, {
      zoom: (factor, x) => this.zoomAt(factor, x - this.labelW()),
      pan: (dx) => {
        this.moved = true;
        this.autoFit = false;
        if (dx > 0) this.setFollow(false);
        this.vp.pan(dx, this.store.now);
        this.invalidate();
      },
      hover: (x, y) => this.hoverAt(x, y),
      leave: () => this.hoverAt(-1, -1),
    });
    this.canvas.addEventListener("click", (ev) => this.clickAt(ev));
    document.addEventListener("mp:theme", () => {
      this.colors = readColors();
      this.hatch = this.makeHatch();
      this.invalidate();
    });
    const resized = new ResizeObserver(() => this.invalidate());
    resized.observe(this.wrap);
    const box = this.closest("[data-fit-box]");
    if (box) resized.observe(box); // the room it fits into changes (the replay bar shows, the window resizes)
    window.addEventListener("resize", () => this.invalidate());
    onLang(() => {
      this.legendKey = ""; // the legend and the canvas's words are rebuilt in the new language
      if (this.tooltip) this.tooltip.hidden = true;
      this.invalidate();
    });
    this.setFollow(true);
    this.invalidate();
  }

  /** Start over for a new run (empty store, fit-all and follow on). */
  reset() {
    this.store = new EventStore();
    this.autoFit = true;
    this.pendingSpan = null;
    this.live = false;
    this.cursor = null;
    this.selected = "";
    this.hover = null;
    if (this.tooltip) this.tooltip.hidden = true;
    if (this.built) this.setFollow(true);
    this.invalidate();
  }

  /**
   * Add events (seq order) and schedule a redraw.
   * @param {import("../run-stream.js").RunEvent[]} events
   */
  addEvents(events) {
    this.store.add(events);
    this.live = !this.cursor && this.store.endT === null;
    this.invalidate();
  }

  /**
   * Show exactly these events (seq order), keeping zoom, pan and the selected lane: replay going back.
   * @param {import("../run-stream.js").RunEvent[]} events
   */
  replaceEvents(events) {
    const clock = this.store.clock;
    this.store = new EventStore();
    this.store.clock = clock;
    this.hover = null;
    if (this.tooltip) this.tooltip.hidden = true;
    this.addEvents(events);
  }

  /**
   * Replay cursor at `t` (ns) in a run that ends at `end`; null leaves replay (the axis follows the data).
   * @param {number|null} t
   * @param {number} [end]
   */
  setCursor(t, end = 0) {
    this.cursor = t === null ? null : { t, end };
    this.store.clock = t ?? 0;
    this.live = !this.cursor && this.store.endT === null;
    this.invalidate();
  }

  /** @param {{pid: number, proc: string}|null} lane */
  selectLane(lane) {
    this.selected = lane ? `${lane.pid}\u0000${lane.proc}` : "";
    this.invalidate();
    this.dispatchEvent(new CustomEvent("mp:lane-select", { bubbles: true, detail: lane }));
  }

  /** A click on a lane label selects that lane (again: deselects). @param {MouseEvent} ev */
  clickAt(ev) {
    const g = this.geometry;
    const r = this.canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    if (!g || x >= g.labelW || y < AXIS_H) return;
    const lane = this.store.rows[Math.floor((y - AXIS_H) / g.laneH)];
    if (!lane) return;
    const key = `${lane.pid}\u0000${lane.proc}`;
    this.selectLane(key === this.selected ? null : { pid: lane.pid, proc: lane.proc });
  }

  /** @param {boolean} on */
  setLive(on) {
    this.live = on && !this.cursor && this.store.endT === null;
    this.invalidate();
  }

  /** @param {boolean} on */
  setFollow(on) {
    this.follow = on;
    this.followBtn?.setAttribute("aria-pressed", String(on));
    this.invalidate();
  }

  fitAll() {
    this.moved = true;
    this.autoFit = true;
    this.pendingSpan = null;
    this.invalidate();
  }

  fitAction() {
    const range = this.store.actionRange();
    if (!range) return this.fitAll();
    this.moved = true;
    this.autoFit = false;
    this.setFollow(false);
    this.vp.fitRange(range[0], range[1]);
    this.invalidate();
  }

  /** @param {number} factor */
  zoomBy(factor) {
    this.zoomAt(factor, this.vp.width / 2);
  }

  /** @param {number} factor @param {number} x plot x */
  zoomAt(factor, x) {
    this.moved = true; // by the viewer: the new window is announced (announce.js) once it settles
    this.autoFit = false;
    const anchor = this.follow && this.live ? this.vp.x(this.store.now) : x;
    this.vp.zoomAt(factor, Math.max(0, Math.min(this.vp.width, anchor)), this.store.now);
    this.invalidate();
  }

  invalidate() {
    this.dirty = true;
    if (!this.raf && this.built) this.raf = requestAnimationFrame(() => this.frame());
  }

  labelW() {
    const w = this.wrap.clientWidth;
    return Math.round(Math.min(240, Math.max(w < 600 ? 96 : 140, w * 0.15))); // a phone keeps room to plot
  }

  /**
   * Height (px) the canvas may take: what is left below its top, the legend under it included. In a box
   * of bounded height ([data-fit-box] that scrolls: the run page's grid cell on a wide screen), what is
   * left of that box, however little (lanes keep MIN_LANE_H and the box scrolls); else what is left of
   * the window, at least 260 px.
   */
  roomBelow() {
    const top = this.wrap.getBoundingClientRect().top;
    const legend = this.legendEl.getBoundingClientRect().height + 8;
    const box = this.closest("[data-fit-box]");
    if (box && getComputedStyle(box).overflowY !== "visible") {
      const b = box.getBoundingClientRect();
      const cs = getComputedStyle(box);
      const bottom = b.top + box.clientTop + box.clientHeight - parseFloat(cs.paddingBottom);
      return bottom - top + box.scrollTop - legend - 2;
    }
    return Math.max(260, window.innerHeight - top - 64);
  }

  frame() {
    this.raf = 0;
    if (!this.dirty || !this.isConnected) return;
    this.dirty = false;
    const store = this.store;
    const fs = parseFloat(getComputedStyle(document.documentElement).fontSize) / 16 || 1;
    const n = Math.max(1, store.lanes.length);
    const maxH = this.fitHeight > 0 ? this.fitHeight : this.roomBelow();
    const laneH = Math.round(Math.min(MAX_LANE_H * fs, Math.max(MIN_LANE_H * fs, (maxH - AXIS_H) / n)));
    const height = AXIS_H + n * laneH + 2;
    const width = this.wrap.clientWidth;
    if (width <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.height = `${height}px`;
    }
    const labelW = this.labelW();
    this.vp.width = width - labelW;
    if (this.pendingSpan) {
      this.vp.t0 = this.pendingSpan.t0;
      this.vp.nsPerPx = Math.max(1e-3, (this.pendingSpan.t1 - this.pendingSpan.t0) / this.vp.width);
      this.pendingSpan = null;
    }
    if (this.autoFit) this.vp.fit(Math.max(this.fitEnd, this.cursor ? Math.max(this.cursor.end, store.now) : store.now));
    else if (this.follow && this.live && this.vp.x(store.now) > this.vp.width * 0.97)
      this.vp.showAt(store.now, 0.9);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawFrame({
      ctx: this.ctx,
      store,
      vp: this.vp,
      colors: /** @type {ReturnType<typeof readColors>} */ (this.colors),
      hatch: /** @type {CanvasPattern} */ (this.hatch),
      width,
      height,
      labelW,
      axisH: AXIS_H,
      laneH,
      fs,
      live: this.live,
      hover: this.hover,
      cursor: this.cursor?.t ?? null,
      selected: this.selected,
    });
    this.geometry = { labelW, laneH };
    this.rangeEl.textContent = `${fmtMs(Math.max(0, this.vp.t0))} – ${fmtMs(this.vp.t1)}`;
    this.dataset.lanes = String(store.lanes.length);
    this.dataset.events = String(store.count);
    this.dataset.lostMarked = String(store.lost.total); // sum of the "lost N" markers
    this.dataset.live = String(this.live);
    this.dataset.ended = String(store.endT !== null);
    this.dataset.cursorT = this.cursor ? String(Math.round(this.cursor.t)) : "";
    this.dataset.selectedLane = this.selected.replace("\u0000", "/");
    this.dataset.t0 = String(Math.round(this.vp.t0));
    this.dataset.nsPerPx = String(Math.round(this.vp.nsPerPx));
    const view = { t0: this.vp.t0, nsPerPx: this.vp.nsPerPx };
    if (!sameView(view, this.shown)) {
      this.shown = view;
      this.dispatchEvent(new CustomEvent("mp:view", { detail: view }));
      if (this.moved) settle("timeline", () => t("tl.said", { from: fmtMs(Math.max(0, this.vp.t0)), to: fmtMs(this.vp.t1) }));
    }
    this.moved = false;
    const hasLost = store.lost.names.size > 0;
    const key = `${[...store.cats].sort()}|${[...store.bars].sort()}|${hasLost}`;
    if (key !== this.legendKey) {
      this.legendKey = key;
      this.legendEl.replaceChildren(buildLegend(store.cats, store.bars, hasLost));
      this.invalidate(); // the legend's height is part of the room the lanes fit into
    }
    this.followBtn.disabled = !this.live;
  }

  /** @param {number} x canvas x @param {number} y canvas y */
  hoverAt(x, y) {
    const g = this.geometry;
    let hit = null;
    if (g && x >= g.labelW && y >= AXIS_H) {
      const lane = this.store.rows[Math.floor((y - AXIS_H) / g.laneH)];
      if (lane) hit = hitTest(this.store, lane.index, this.vp.tAt(x - g.labelW), 6 * this.vp.nsPerPx);
    }
    const same = hit && this.hover && hit.t === this.hover.t && hit.lane === this.hover.lane && hit.ev === this.hover.ev;
    if (!same) {
      this.hover = hit;
      this.invalidate();
    }
    if (!hit) {
      this.tooltip.hidden = true;
      return;
    }
    if (!same) renderTooltip(this.tooltip, hit, this.store);
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    const left = x + 16 + tw > this.wrap.clientWidth ? x - tw - 16 : x + 16;
    const top = Math.min(Math.max(0, y + 16), Math.max(0, this.wrap.clientHeight - th));
    this.tooltip.style.transform = `translate(${Math.max(0, left)}px, ${top}px)`;
  }

  /** Diagonal stripes for lock waits. @returns {CanvasPattern|string} */
  makeHatch() {
    const colors = /** @type {ReturnType<typeof readColors>} */ (this.colors);
    const wait = colors.bars[2];
    const tile = document.createElement("canvas");
    tile.width = tile.height = 10;
    const c = /** @type {CanvasRenderingContext2D} */ (tile.getContext("2d"));
    c.fillStyle = colors.bg;
    c.fillRect(0, 0, 10, 10);
    c.strokeStyle = wait;
    c.lineWidth = 3;
    c.beginPath();
    for (const o of [-10, 0, 10]) {
      c.moveTo(o, 10);
      c.lineTo(o + 10, 0);
    }
    c.stroke();
    return /** @type {CanvasRenderingContext2D} */ (this.ctx).createPattern(tile, "repeat") ?? wait;
  }
}

/** @param {{t0: number, nsPerPx: number}} a @param {{t0: number, nsPerPx: number}} b */
function sameView(a, b) {
  return Math.abs(a.nsPerPx - b.nsPerPx) <= 1e-9 * b.nsPerPx && Math.abs(a.t0 - b.t0) <= 1e-3 * b.nsPerPx;
}

customElements.define("mp-timeline", MpTimeline);
