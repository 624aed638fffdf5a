// views/race.js: the shared-state panel of the "race" scenario: the shared counter, expected
// (workers × increments) against actual, and the lost updates, big enough for the back row.
// Test hooks on the view root: data-lost, data-expected, data-actual, data-final ("true" once the
// result is in).

import { h } from "../dom.js";
import { applyRun, liveView, noResult, runFields, verdict, words } from "./live-view.js";
import { fmtInt } from "../format.js";
import { t } from "../i18n.js";
import { createCompare } from "./race-compare.js";

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    value: h("div", { class: "race-value mono", text: "0" }),
    expected: h("dd", { class: "mono" }),
    expectedHow: h("dd", { class: "race-how" }),
    actual: h("dd", { class: "mono" }),
    actualHow: h("dd", { class: "race-how" }),
    lock: h("div", { class: "race-lock" }),
    bar: h("div", { class: "race-progress-bar" }),
  };
  const said = verdict("race-verdict");
  const root = h("div", { class: "view view-race", dataset: { view: "race" } },
    h("div", { class: "race-counter" }, h("div", { class: "race-label" }, words("race.counter"), " ", h("code", { text: "counter.value" })), el.value),
    h("div", { class: "race-progress", "aria-hidden": "true" }, el.bar),
    h("dl", { class: "race-compare" },
      h("div", {}, words("race.expected", "dt"), el.expected, el.expectedHow),
      h("div", {}, words("race.actual", "dt"), el.actual, el.actualHow)),
    said.el,
    el.lock,
  );
  container.append(root);
  const compare = createCompare(root);


  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const p = s.params;
    const workers = Number(p.workers);
    const increments = Number(p.increments);
    const expected = Number.isFinite(workers * increments) ? workers * increments : null;
    const final = s.result && typeof s.result.actual === "number";
    const actual = final ? s.result.actual : s.current;
    el.value.textContent = fmtInt(actual ?? 0);
    el.expected.textContent = expected === null ? "–" : fmtInt(expected);
    el.expectedHow.textContent = expected === null ? "" : t("race.how", { workers: fmtInt(workers), increments: fmtInt(increments) });
    el.actual.textContent = actual === null ? "–" : fmtInt(actual);
    el.actualHow.textContent = t(final ? "race.final" : s.ended ? "race.noResult" : "race.soFar");
    el.bar.style.width = `${expected ? Math.min(100, (100 * s.writes) / expected) : 0}%`;

    let lost;
    /** @type {import("./live-view.js").Tone} */
    let cls;
    let text;
    if (final && expected !== null) {
      lost = expected - actual;
      cls = lost > 0 ? "bad" : "good";
      text = lost > 0 ? t("race.lost", { n: fmtInt(lost) }) : t("race.noneLost");
    } else if (s.ended) {
      lost = Math.max(0, s.writes - (s.current ?? 0));
      cls = "pending";
      text = `${noResult(s.endStatus)}${lost ? ` · ${t("race.lostSoFarTail", { n: fmtInt(lost) })}` : ""}`;
    } else {
      // Every write is one increment: increments done minus the counter's value is what got lost.
      lost = Math.max(0, s.writes - (s.current ?? 0));
      cls = lost > 0 ? "bad" : "pending";
      text = lost > 0 ? t("race.lostSoFar", { n: fmtInt(lost) }) : t(s.started ? "race.counting" : "view.waiting");
    }
    said.set(cls, text);
    Object.assign(root.dataset, {
      lost: String(lost),
      expected: String(expected ?? ""),
      actual: String(actual ?? ""),
      final: String(Boolean(final)),
    });

    if (final && s.runId) compare.update(s.runId, p, s.result, s.startMethod);
    const useLock = s.result?.use_lock ?? p.use_lock;
    el.lock.className = `race-lock ${useLock ? "on" : "off"}`;
    el.lock.textContent = useLock
      ? t("race.lockUsed", { n: fmtInt(s.acquired) })
      : t("race.noLock");
  }

  return liveView(root, emptyState, apply, render, { onReset: () => compare.reset(), onDestroy: () => compare.destroy() });
}

function emptyState() {
  return {
    ...runFields(),
    runId: "",
    startMethod: "",
    /** @type {number|null} */ current: null,
    currentT: -1,
    writes: 0,
    acquired: 0,
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) {
    if (ev.kind === "run.start") {
      s.runId = ev.run;
      s.startMethod = String(ev.data.start_method ?? "");
    }
    return;
  }
  switch (ev.kind) {
    case "lock.acquired":
      s.acquired++;
      break;
    case "value.write":
      s.writes++;
      if (ev.t >= s.currentT && typeof ev.data.value === "number") {
        s.current = ev.data.value;
        s.currentT = ev.t;
      }
      break;
  }
}
