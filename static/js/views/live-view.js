// views/live-view.js: the lifecycle every state view shares: its state folded from the events, at
// most one render per animation frame, a render on every language switch, and the View interface the
// state panel calls. Also the run's own fields every view folds (runFields, applyRun), the few word
// helpers every view uses and the verdict box most views end with (verdict).

import { h } from "../dom.js";
import { onLang, statusWord, t } from "../i18n.js";

/**
 * @template S
 * @param {HTMLElement} root the view's root element, already in the page
 * @param {() => S} emptyState the state before any event
 * @param {(s: S, ev: import("../run-stream.js").RunEvent) => void} apply folds one event into the state
 * @param {(s: S) => void} render draws the state (its words with t(): it runs again on a language switch)
 * @param {object} [hooks]
 * @param {() => void} [hooks.onReset] also called on reset (e.g. for a view's own sub-widgets)
 * @param {() => void} [hooks.onDestroy] also called on destroy
 * @param {(s: S, events: import("../run-stream.js").RunEvent[]) => void} [hooks.onBatch] called with
 *   each batch before it is folded (e.g. to animate only what arrives live, a few events at a time)
 * @returns {import("./index.js").View}
 */
export function liveView(root, emptyState, apply, render, { onReset, onDestroy, onBatch } = {}) {
  let s = emptyState();
  let raf = 0;
  const schedule = () => {
    if (!raf) raf = requestAnimationFrame(() => ((raf = 0), render(s)));
  };
  const off = onLang(schedule);
  render(s);
  return {
    onEvents(events) {
      onBatch?.(s, events);
      for (const ev of events) apply(s, ev);
      schedule();
    },
    reset() {
      s = emptyState();
      onReset?.();
      schedule();
    },
    destroy() {
      off();
      onDestroy?.();
      cancelAnimationFrame(raf);
      root.remove();
    },
  };
}

/**
 * The run's own fields in a view's state: folded by applyRun from run.start, run.result and run.end.
 * @returns {{started: boolean, ended: boolean, endStatus: string, params: Record<string, any>, result: any}}
 */
export function runFields() {
  return { started: false, ended: false, endStatus: "", params: {}, result: null };
}

/**
 * Fold run.start / run.result / run.end into a state made with runFields(); false for any other event.
 * run.end carries the result too (a run whose run.result was lost still shows one).
 * @param {ReturnType<typeof runFields>} s
 * @param {import("../run-stream.js").RunEvent} ev
 * @returns {boolean}
 */
export function applyRun(s, ev) {
  const d = ev.data;
  if (ev.kind === "run.start") {
    s.started = true;
    s.params = d.params ?? {};
  } else if (ev.kind === "run.result") s.result = d.result ?? null;
  else if (ev.kind === "run.end") {
    s.ended = true;
    s.endStatus = String(d.status ?? "ended");
    if (!s.result && d.result) s.result = d.result;
  } else return false;
  return true;
}

/**
 * Static words in a view: a span that i18n.js's translate() refills on every language switch.
 * @param {string} key
 * @param {string} [tag]
 * @param {string} [cls]
 * @returns {HTMLElement}
 */
export function words(key, tag = "span", cls = undefined) {
  return h(/** @type {"span"} */ (tag), { class: cls, "data-i18n": key, text: t(key) });
}

/**
 * "No result (failed)": what a view says when its run ended without a result.
 * @param {string} status
 * @returns {string}
 */
export function noResult(status) {
  return t("view.noResult", { status: statusWord(status) });
}

/** @typedef {"good"|"bad"|"even"|"pending"} Tone */

/** Each tone's icon: a verdict says how it went in words and an icon, never in colour alone. */
const ICONS = { good: "✓", bad: "✗", even: "⚠", pending: "○" };
const HAS_ICON = /[✓✗⚠]/;

/**
 * A view's verdict: the one box that says how the run went, announced as it changes (role=status).
 * set(tone, ...content) gives it the class `${cls} ${tone}` (the view's CSS colours it) and its words;
 * words without an icon of their own get their tone's as data-verdict-icon, which app.css draws ahead
 * of them (outside the text, so the words stay exactly the catalogue's).
 * @param {string} cls the view's class for it, e.g. "race-verdict"
 * @param {Record<string, string>} [dataset]
 * @returns {{el: HTMLDivElement, set: (tone: Tone, ...content: (Node|string)[]) => void}}
 */
export function verdict(cls, dataset = undefined) {
  const el = h("div", { class: `${cls} pending`, role: "status", "aria-live": "polite", dataset });
  return {
    el,
    set(tone, ...content) {
      el.className = `${cls} ${tone}`;
      el.replaceChildren(...content);
      if (HAS_ICON.test(el.textContent ?? "")) delete el.dataset.verdictIcon;
      else el.dataset.verdictIcon = ICONS[tone];
    },
  };
}
