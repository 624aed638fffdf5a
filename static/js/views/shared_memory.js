// views/shared_memory.js: the shared-state panel of the "shared_memory" scenario: the shared Array as a
// grid of cells that light up in the colour of the worker that wrote them, each worker's slice outlined
// in its colour before it is written, and the shared Value (total) climbing to the sum of the squares.
// Test hooks on the view root: data-written (cells written), data-writers (writer number per cell, ""
// if unwritten), data-value, data-expected-value, data-match ("true" when the final array equals the
// expected one and the value the expected sum), data-final ("true" once the result is in).

import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";
import { t } from "../i18n.js";
import { applyRun, liveView, noResult, runFields, verdict } from "./live-view.js";

const COLOURS = 8; // .shm-w0 … .shm-w7 in views-basics.css

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    value: h("div", { class: "shm-value mono", text: "0" }),
    expected: h("div", { class: "shm-expected" }),
    grid: h("ol", { class: "shm-grid mono", "aria-label": t("shm.gridAria"), "data-i18n-aria-label": "shm.gridAria" }),
    legend: h("ul", { class: "shm-legend" }),
  };
  const said = verdict("shm-verdict");
  const root = h("div", { class: "view view-shm", dataset: { view: "shared_memory" } },
    h("div", { class: "shm-top" },
      h("div", { class: "shm-label" }, h("span", { translate: "no", text: "Value" }), " ", h("code", { text: "total.value" })),
      el.value,
      el.expected),
    said.el,
    h("div", { class: "shm-label" }, h("span", { translate: "no", text: "Array" }), " ", h("code", { text: "squares" }), h("span", { class: "shm-rule", "data-i18n": "shm.rule", text: t("shm.rule") })),
    el.grid,
    el.legend,
  );
  container.append(root);

  /** The state being drawn: handed to render() by liveView. */
  let s = emptyState();
  /** @type {HTMLLIElement[]} */
  let cells = [];

  /** Build the grid for the run's size: one cell per element, each outlined in its owner's colour. */
  function build() {
    const size = s.size;
    const cols = size <= 8 ? size : size <= 40 ? 8 : size <= 100 ? 10 : 16;
    el.grid.style.setProperty("--cols", String(Math.max(cols, 1)));
    el.grid.classList.toggle("tiny", size > 100);
    cells = Array.from({ length: size }, (_, i) =>
      h("li", { class: `shm-cell shm-w${owner(i, size, s.workers) % COLOURS}`, title: `squares[${i}]` },
        h("span", { class: "shm-idx", text: String(i) }), h("span", { class: "shm-val", text: "0" })));
    replace(el.grid, ...cells);
    s.built = size;
  }

  /** @param {ReturnType<typeof emptyState>} state */
  function render(state) {
    s = state;
    if (s.built !== s.size) build();
    for (const i of s.dirty) {
      const cell = cells[i];
      if (!cell) continue;
      const w = s.writer[i];
      cell.className = `shm-cell shm-w${w % COLOURS} written${i === s.last && !s.ended ? " last" : ""}`;
      /** @type {HTMLElement} */ (cell.lastChild).textContent = fmtInt(s.array[i]);
    }
    s.dirty.clear();

    const expectedValue = s.result?.expected_value ?? (s.size ? sumSquares(s.size) : null);
    const value = s.result && typeof s.result.value === "number" ? s.result.value : s.value;
    el.value.textContent = fmtInt(value);
    el.expected.textContent = expectedValue === null ? "" : t("shm.expected", { last: s.size - 1, value: fmtInt(expectedValue) });

    const counts = Array.from({ length: s.workers }, () => 0);
    for (const w of s.writer) if (w !== undefined && w < counts.length) counts[w]++;
    replace(el.legend, ...counts.map((n, w) =>
      h("li", { class: `shm-w${w % COLOURS}` }, h("span", { class: "shm-swatch" }), h("span", { class: "mono", text: `P-${w}` }), ` ${t("shm.cells", { n: fmtInt(n) })}`)));

    const written = s.writer.filter((w) => w !== undefined).length;
    const final = Boolean(s.result && Array.isArray(s.result.array));
    const match = final && sameList(s.result.array, s.result.expected_array) && s.result.value === s.result.expected_value;
    if (final) said.set(match ? "good" : "bad", match ? t("shm.match", { value: fmtInt(s.result.value) }) : t("shm.differs"));
    else said.set("pending", s.ended ? noResult(s.endStatus) : s.started ? t("shm.written", { written: fmtInt(written), size: fmtInt(s.size) }) : t("view.waiting"));
    Object.assign(root.dataset, {
      written: String(written),
      writers: Array.from({ length: s.size }, (_, i) => (s.writer[i] === undefined ? "" : String(s.writer[i]))).join(","),
      value: String(value),
      expectedValue: String(expectedValue ?? ""),
      match: String(match),
      final: String(final),
    });
  }

  return liveView(root, emptyState, apply, render);
}

/** Which worker owns cell i: the same slicing as the scenario (w * size // workers). */
function owner(i, size, workers) {
  for (let w = 0; w < workers; w++) if (i < Math.floor(((w + 1) * size) / workers)) return w;
  return 0;
}

/** @param {number} n */
function sumSquares(n) {
  return ((n - 1) * n * (2 * n - 1)) / 6;
}

/** @param {any[]} a @param {any[]} b */
function sameList(a, b) {
  return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function emptyState() {
  return {
    ...runFields(),
    size: 0,
    workers: 1,
    built: -1,
    /** @type {number[]} */ array: [],
    /** @type {(number|undefined)[]} writer number per cell */ writer: [],
    /** @type {Set<number>} cells to redraw */ dirty: new Set(),
    last: -1,
    lastT: -1,
    value: 0,
    valueT: -1,
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) {
    if (ev.kind === "run.start") {
      s.size = Math.max(0, Math.min(4096, Number(s.params.size) || 0));
      s.workers = Math.max(1, Number(s.params.workers) || 1);
    } else if (ev.kind === "run.end" && s.last >= 0) s.dirty.add(s.last);
    return;
  }
  const d = ev.data;
  switch (ev.kind) {
    case "array.write": {
      const i = Number(d.index);
      if (!Number.isInteger(i) || i < 0 || i >= s.size) break;
      const m = /(\d+)$/.exec(ev.proc);
      s.writer[i] = m ? Number(m[1]) : 0;
      s.array[i] = d.value;
      s.dirty.add(i);
      if (ev.t >= s.lastT) {
        if (s.last >= 0) s.dirty.add(s.last);
        s.last = i;
        s.lastT = ev.t;
      }
      break;
    }
    case "value.write":
    case "value.read":
      if (ev.t >= s.valueT && typeof d.value === "number") {
        s.value = d.value;
        s.valueT = ev.t;
      }
      break;
  }
}
