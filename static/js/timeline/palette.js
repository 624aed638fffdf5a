// timeline/palette.js: which colour and mark each event kind gets. Colours live in app.css (--tl-*)
// so the canvas, the legend and the panels share them.

/** Span (bar) types drawn in a lane's lower half. */
export const SPAN = Object.freeze({ LIFE: 0, HOLD: 1, WAIT: 2, TASK: 3 });

/**
 * Tick categories: kind -> category name. `null` means the kind is shown as a bar, not as a tick.
 * Kinds not listed fall back by prefix, then to "other": any scenario shows something.
 * @type {Record<string, string|null>}
 */
const KIND_CATEGORY = {
  "value.read": "read",
  "array.read": "read",
  "value.write": "write",
  "array.write": "array",
  "queue.put": "queue",
  "queue.get": "queue",
  "pipe.send": "pipe",
  "pipe.recv": "pipe",
  "manager.call": "manager",
  "thread.start": "thread",
  "thread.exit": "thread",
  log: "log",
  "process.error": "error",
  "lock.timeout": "error",
  "deadlock.detected": "error",
  "process.start": null,
  "process.exit": null,
  "lock.wait": null,
  "lock.acquired": null,
  "lock.released": null,
  "semaphore.wait": null,
  "semaphore.acquired": null,
  "semaphore.released": null,
  "pool.task.start": null,
  "pool.task.end": null,
};

const PREFIX_CATEGORY = { value: "write", array: "array", queue: "queue", pipe: "pipe", manager: "manager" };

/** Tick categories in legend order, with their CSS colour variable and legend label (an i18n key). */
export const CATEGORIES = [
  { id: "read", css: "--tl-read", label: "tl.read" },
  { id: "write", css: "--tl-write", label: "tl.write" },
  { id: "array", css: "--tl-array", label: "tl.array" },
  { id: "queue", css: "--tl-queue", label: "tl.queue" },
  { id: "pipe", css: "--tl-pipe", label: "tl.pipe" },
  { id: "manager", css: "--tl-manager", label: "tl.manager" },
  { id: "thread", css: "--tl-thread", label: "tl.thread" },
  { id: "log", css: "--tl-log", label: "tl.log" },
  { id: "error", css: "--tl-error", label: "tl.error" },
  { id: "other", css: "--tl-other", label: "tl.other" },
];

/** Bars in legend order (label: an i18n key). `hatch` bars are drawn with diagonal stripes. */
export const BARS = [
  { span: SPAN.LIFE, css: "--tl-life", label: "tl.life" },
  { span: SPAN.HOLD, css: "--tl-hold", label: "tl.hold" },
  { span: SPAN.WAIT, css: "--tl-wait", label: "tl.wait", hatch: true },
  { span: SPAN.TASK, css: "--tl-task", label: "tl.task" },
];

const CATEGORY_INDEX = new Map(CATEGORIES.map((c, i) => [c.id, i]));
export const NO_TICK = 255;

/**
 * Category index of a kind (index into CATEGORIES), or NO_TICK for kinds drawn as bars.
 * @param {string} kind
 * @returns {number}
 */
export function categoryOf(kind) {
  let cat = KIND_CATEGORY[kind];
  if (cat === null) return NO_TICK;
  if (cat === undefined) cat = PREFIX_CATEGORY[kind.split(".")[0]] ?? "other";
  return /** @type {number} */ (CATEGORY_INDEX.get(cat));
}

/**
 * Read every --tl-* colour once from the document's computed style.
 * @returns {{ticks: string[], bars: string[], [name: string]: any}}
 */
export function readColors() {
  const cs = getComputedStyle(document.documentElement);
  const v = (/** @type {string} */ name) => cs.getPropertyValue(name).trim() || "#ccc";
  return {
    ticks: CATEGORIES.map((c) => v(c.css)),
    bars: BARS.map((b) => v(b.css)),
    lifeEdge: v("--tl-life-edge"),
    lost: v("--tl-lost"),
    bg: v("--tl-bg"),
    laneAlt: v("--tl-lane-alt"),
    grid: v("--tl-grid"),
    axis: v("--tl-axis"),
    text: v("--text"),
    muted: v("--muted"),
    now: v("--tl-now"),
    cursor: v("--tl-cursor"),
    selected: v("--tl-selected"),
    bad: v("--st-failed"),
    font: cs.getPropertyValue("--font-ui").trim() || "system-ui, sans-serif",
    mono: cs.getPropertyValue("--font-mono").trim() || "monospace",
  };
}
