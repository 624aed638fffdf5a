// views/generic.js: the fallback shared-state panel for any scenario: processes seen, events by kind,
// the last value of every value.* name, array contents, queue depths, the result, and a verdict: how
// the run ended and whether every event arrived (the firehose scenario reports what it dropped).

import { h, replace } from "../dom.js";
import { fmtInt, fmtValue } from "../format.js";
import { t } from "../i18n.js";
import { applyRun, liveView, noResult, runFields, verdict } from "./live-view.js";

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const root = h("div", { class: "view view-generic", dataset: { view: "generic" } });
  const body = h("div", { class: "view-body" });
  const said = verdict("view-verdict"); // outside what each render replaces: a live region stays put
  root.append(said.el, body); // first: on a phone the summary comes before the long tables
  container.append(root);
  return liveView(root, emptyState, apply, (s) => render(body, s, said));
}

/**
 * How it went, in words and an icon: running; ended with every event (good); some dropped (even); failed.
 * @param {ReturnType<typeof emptyState>} s
 * @param {ReturnType<typeof verdict>} said
 */
function judge(s, said) {
  if (!s.ended) {
    said.set("pending", s.started ? t("gen.soFar", { n: fmtInt(s.count) }) : t("view.waiting"));
    return;
  }
  if (s.endStatus !== "succeeded") {
    said.set("bad", noResult(s.endStatus));
    return;
  }
  const dropped = Number(s.result?.dropped ?? 0);
  if (dropped > 0) said.set("even", t("gen.dropped", { dropped: fmtInt(dropped), n: fmtInt(Number(s.result?.events ?? s.count)) }));
  else said.set("good", t("gen.allArrived", { n: fmtInt(s.count) }));
}

/**
 * @param {HTMLElement} root @param {ReturnType<typeof emptyState>} state
 * @param {ReturnType<typeof verdict>} said
 */
function render(root, state, said) {
  judge(state, said);
  const kinds = [...state.kinds.entries()].sort((a, b) => b[1] - a[1]);
  const values = [...state.values.entries()];
  const arrays = [...state.arrays.entries()];
  const queues = [...state.queues.entries()];
  replace(
    root,
    h("div", { class: "big-row" },
      big(t("gen.processes"), fmtInt(state.procs.size)),
      big(t("gen.exited"), fmtInt(state.exited)),
      big(t("gen.events"), fmtInt(state.count))),
    values.length ? section(t("gen.values"), h("dl", { class: "kv kv-big" },
      ...values.flatMap(([k, v]) => [h("dt", { class: "mono", translate: "no", text: k }), h("dd", { class: "mono", text: fmtValue(v, 40) })]))) : null,
    ...arrays.map(([name, arr]) => section(`Array ${name}`, h("ol", { class: "cells mono" },
      ...Array.from({ length: Math.min(64, arr.length) }, (_, i) => h("li", { title: `[${i}]`, text: arr[i] === undefined ? "·" : fmtValue(arr[i], 8) }))))),
    queues.length ? section(t("gen.queues"), h("dl", { class: "kv" },
      ...queues.flatMap(([k, q]) => [h("dt", { class: "mono", translate: "no", text: k }),
        h("dd", { text: `${t("queue.putGot", { put: q.put, got: q.got })}${q.depth === undefined ? "" : ` · ${t("gen.depth", { n: q.depth })}`}` })]))) : null,
    section(t("gen.kinds"), h("dl", { class: "kv" },
      ...kinds.slice(0, 14).flatMap(([k, n]) => [h("dt", { class: "mono", translate: "no", text: k }), h("dd", { class: "num", text: fmtInt(n) })]))),
    state.result != null ? section(t("gen.result"), h("pre", { class: "code", text: JSON.stringify(state.result, null, 2) })) : null,
  );
}

function emptyState() {
  return {
    ...runFields(),
    count: 0,
    exited: 0,
    /** @type {Set<string>} */ procs: new Set(),
    /** @type {Map<string, number>} */ kinds: new Map(),
    /** @type {Map<string, any>} */ values: new Map(),
    /** @type {Map<string, any[]>} */ arrays: new Map(),
    /** @type {Map<string, {put: number, got: number, depth?: number}>} */ queues: new Map(),
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  const d = ev.data;
  s.count++;
  s.kinds.set(ev.kind, (s.kinds.get(ev.kind) ?? 0) + 1);
  if (!ev.kind.startsWith("run.")) s.procs.add(`${ev.pid}/${ev.proc}`);
  if (ev.kind === "process.exit") s.exited++;
  else if (ev.kind === "value.read" || ev.kind === "value.write") s.values.set(String(d.name), d.value);
  else if ((ev.kind === "array.write" || ev.kind === "array.read") && typeof d.index === "number" && d.index < 4096) {
    const arr = s.arrays.get(String(d.name)) ?? [];
    arr[d.index] = d.value;
    s.arrays.set(String(d.name), arr);
  } else if (ev.kind === "queue.put" || ev.kind === "queue.get") {
    const q = s.queues.get(String(d.queue)) ?? { put: 0, got: 0 };
    if (ev.kind === "queue.put") q.put++;
    else q.got++;
    if (typeof d.depth === "number") q.depth = d.depth;
    s.queues.set(String(d.queue), q);
  } else applyRun(s, ev);
}

/** @param {string} label @param {string} value */
function big(label, value) {
  return h("div", { class: "big" }, h("div", { class: "big-value mono", text: value }), h("div", { class: "big-label", text: label }));
}

/** @param {string} title @param {Node} body */
function section(title, body) {
  return h("section", { class: "view-section" }, h("h4", { text: title }), body);
}
