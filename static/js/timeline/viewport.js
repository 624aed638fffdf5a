// timeline/viewport.js: the visible time window (left edge and zoom) and the maths of zoom and pan.

const MIN_NS_PER_PX = 2; // closer than this shows nothing new: timestamps are ns, events are µs apart
const MIN_SPAN_NS = 1e6; // fit-all never zooms in closer than 1 ms across the plot

export class Viewport {
  constructor() {
    /** time (ns) at the left edge of the plot */
    this.t0 = 0;
    /** zoom: nanoseconds per CSS pixel */
    this.nsPerPx = 1e4;
    /** plot width in CSS pixels (lane labels excluded) */
    this.width = 1;
  }

  /** @returns {number} time at the right edge */
  get t1() {
    return this.t0 + this.width * this.nsPerPx;
  }

  /** @param {number} t @returns {number} x in plot pixels */
  x(t) {
    return (t - this.t0) / this.nsPerPx;
  }

  /** @param {number} x plot pixels @returns {number} time */
  tAt(x) {
    return this.t0 + x * this.nsPerPx;
  }

  /**
   * Show [0, end] with a small margin on both sides.
   * @param {number} end
   */
  fit(end) {
    const span = Math.max(end, MIN_SPAN_NS);
    this.nsPerPx = (span * 1.06) / this.width;
    this.t0 = -span * 0.04;
  }

  /**
   * Show [from, to] with a small margin (zooming to the action).
   * @param {number} from
   * @param {number} to
   */
  fitRange(from, to) {
    const span = Math.max(to - from, 2e3);
    this.nsPerPx = (span * 1.1) / this.width;
    this.t0 = from - span * 0.05;
  }

  /**
   * Zoom by `factor` (>1 zooms in) keeping the time under plot x `x` in place.
   * @param {number} factor
   * @param {number} x
   * @param {number} end current right end of the data, bounds how far out one can zoom
   */
  zoomAt(factor, x, end) {
    const t = this.tAt(x);
    const maxNsPerPx = (Math.max(end, MIN_SPAN_NS) * 3) / this.width;
    this.nsPerPx = Math.min(maxNsPerPx, Math.max(MIN_NS_PER_PX, this.nsPerPx / factor));
    this.t0 = t - x * this.nsPerPx;
    this.clamp(end);
  }

  /**
   * Move by dx pixels (positive: content moves right, earlier times come into view).
   * @param {number} dx
   * @param {number} end
   */
  pan(dx, end) {
    this.t0 -= dx * this.nsPerPx;
    this.clamp(end);
  }

  /**
   * Put `t` at fraction `at` of the width (following live data).
   * @param {number} t
   * @param {number} at
   */
  showAt(t, at) {
    this.t0 = Math.max(-0.02 * this.width * this.nsPerPx, t - at * this.width * this.nsPerPx);
  }

  /** Keep at least a quarter of the window over the data. @param {number} end */
  clamp(end) {
    const span = this.width * this.nsPerPx;
    const lo = -0.75 * span;
    const hi = Math.max(end, 0) - 0.25 * span;
    this.t0 = Math.min(Math.max(this.t0, lo), Math.max(lo, hi));
  }
}

/**
 * The smallest "nice" axis step (1, 2 or 5 times a power of ten) of at least `raw` nanoseconds.
 * @param {number} raw
 * @returns {number}
 */
export function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}
