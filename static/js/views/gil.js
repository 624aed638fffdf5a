// views/gil.js: the shared-state panel of the "gil" scenario: two big bar pairs, the CPU-bound job
// and the I/O-bound job, each run by N threads and by N processes, with their measured seconds, how
// many cores were busy (CPU seconds the workers used / wall seconds) and a one-line verdict.
// Test hooks on the view root: data-final ("true" once the result is in), data-cores,
// data-cpu-threads / data-cpu-processes / data-io-threads / data-io-processes (seconds),
// data-cpu-verdict / data-io-verdict ("processes-faster", "about-equal", "threads-faster", "").

import { h } from "../dom.js";
import { t } from "../i18n.js";
import { applyRun, liveView, runFields, verdict } from "./live-view.js";

/** title and what: i18n keys */
const JOBS = [
  { id: "cpu", title: "gil.cpu", short: "CPU", what: "gil.cpuWhat" },
  { id: "io", title: "gil.io", short: "I/O", what: "gil.ioWhat" },
];
const KINDS = ["threads", "processes"];
const CLEAR = 1.3; // a ratio at least this big is a clear difference

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  /** @type {Record<string, {bar: HTMLElement, secs: HTMLElement, busy: HTMLElement, col: HTMLElement}>} */
  const cols = {};
  /** @type {Record<string, ReturnType<typeof verdict>>} */
  const verdicts = {};
  const charts = JOBS.map((job) =>
    h("section", { class: "gil-job", dataset: { job: job.id } },
      h("h4", { class: "gil-job-title", title: t(job.what), "data-i18n": job.title, "data-i18n-title": job.what }, t(job.title)),
      h("div", { class: "gil-bars" },
        ...KINDS.map((kind) => {
          const c = {
            bar: h("div", { class: `gil-bar ${kind}` }),
            secs: h("div", { class: "gil-secs" }),
            busy: h("div", { class: "gil-busy", title: t("gil.busyTitle"), "data-i18n-title": "gil.busyTitle" }),
            col: h("div", { class: "gil-col", dataset: { kind } }),
          };
          c.col.append(c.secs, h("div", { class: "gil-well" }, c.bar), h("div", { class: "gil-kind", "data-i18n": `gil.${kind}`, text: t(`gil.${kind}`) }), c.busy);
          cols[`${job.id}-${kind}`] = c;
          return c.col;
        }))));
  const verdictEls = JOBS.map((job) => {
    verdicts[job.id] = verdict("gil-verdict", { job: job.id });
    return verdicts[job.id].el;
  });
  const coresEl = h("div", { class: "gil-machine" });
  const root = h("div", { class: "view view-gil", dataset: { view: "gil" } },
    coresEl, h("div", { class: "gil-charts" }, ...charts), ...verdictEls);
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const workers = Number(s.result?.workers ?? s.params.workers);
    const cores = s.result?.cores;
    coresEl.textContent = `${t("gil.workers", { n: Number.isFinite(workers) ? workers : "–" })} · ${cores ? t("gil.cores", { n: cores }) : t("gil.coresUnknown")}`;
    root.dataset.cores = String(cores ?? "");
    for (const job of JOBS) {
      const secs = KINDS.map((kind) => s.seconds[`${job.id}-${kind}`]);
      const longest = Math.max(...secs.map((x) => x ?? 0));
      KINDS.forEach((kind, i) => {
        const phase = `${job.id}-${kind}`;
        const c = cols[phase];
        const x = secs[i];
        const running = s.running.has(phase);
        c.col.classList.toggle("running", running);
        c.bar.style.height = x === undefined ? (running ? "100%" : "0") : `${Math.max(2, (100 * x) / longest)}%`;
        c.secs.textContent = x === undefined ? (running ? "…" : "–") : `${x.toFixed(2)} s`;
        root.dataset[camel(phase)] = x === undefined ? "" : String(x);
        // CPU seconds the workers used per wall second: how many cores they kept busy together.
        const busy = x ? (coresBusy(s, phase) / x).toFixed(1) : "";
        c.busy.textContent = busy ? t("gil.busy", { n: busy }) : "";
        c.busy.dataset.cores = busy;
      });
      const v = judge(job.id, secs[0], secs[1]);
      verdicts[job.id].set(v.cls,
        h("span", { class: "gil-verdict-job", text: `${job.short}: ` }),
        h("span", { class: "gil-verdict-main", text: v.text }),
        v.why ? h("span", { class: "gil-why", text: v.why }) : "",
      );
      root.dataset[`${job.id}Verdict`] = v.id;
    }
    root.dataset.final = String(Boolean(s.result));
  }

  return liveView(root, emptyState, apply, render);
}

/**
 * @param {string} job
 * @param {number|undefined} th threads' seconds
 * @param {number|undefined} p processes' seconds
 * @returns {{id: string, cls: import("./live-view.js").Tone, text: string, why: string}}
 */
function judge(job, th, p) {
  if (th === undefined || p === undefined) return { id: "", cls: "pending", text: t("gil.waitBoth"), why: "" };
  const ratio = Math.max(th, p) / Math.max(Math.min(th, p), 1e-9);
  if (ratio < CLEAR) {
    const why = t(job === "io" ? "gil.ioWhy" : "gil.cpuWhyEqual");
    return { id: "about-equal", cls: job === "io" ? "good" : "even", text: t("gil.equal"), why };
  }
  if (th > p) {
    const why = job === "cpu" ? t("gil.cpuWhy") : "";
    return { id: "processes-faster", cls: "good", text: t("gil.procFaster", { r: ratio.toFixed(1) }), why };
  }
  return { id: "threads-faster", cls: "even", text: t("gil.threadFaster", { r: ratio.toFixed(1) }), why: t("gil.startCost") };
}

/** CPU seconds used by the workers of one phase: the last cpu_s of each of its lanes, summed. */
function coresBusy(s, phase) {
  let sum = 0;
  for (const [lane, cpu] of s.cpu) if (phaseOfLane(lane) === phase) sum += cpu;
  return sum;
}

/** "main/cpu-T1" (a thread) -> "cpu-threads", "io-P2" (a process) -> "io-processes" */
function phaseOfLane(lane) {
  const m = /(cpu|io)-([TP])\d+$/.exec(lane);
  return m ? `${m[1]}-${m[2] === "T" ? "threads" : "processes"}` : "";
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {Record<string, number>} phase -> seconds */ seconds: {},
    /** @type {Set<string>} */ running: new Set(),
    /** @type {Map<string, number>} lane -> CPU seconds so far */ cpu: new Map(),
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) {
    if (ev.kind === "run.end") s.running.clear();
    return;
  }
  const d = ev.data;
  switch (ev.kind) {
    case "phase.start":
      s.running.add(String(d.phase));
      break;
    case "phase.end":
      s.running.delete(String(d.phase));
      if (typeof d.seconds === "number") s.seconds[String(d.phase)] = d.seconds;
      break;
    case "work.unit":
      if (typeof d.cpu_s === "number") s.cpu.set(`${ev.pid}/${ev.proc}`, Math.max(d.cpu_s, s.cpu.get(`${ev.pid}/${ev.proc}`) ?? 0));
      break;
  }
}

/** @param {string} x */
function cap(x) {
  return x[0].toUpperCase() + x.slice(1);
}

/** "cpu-threads" -> "cpuThreads" (the dataset key of data-cpu-threads) */
function camel(x) {
  return x.replace(/-(\w)/g, (_, c) => c.toUpperCase());
}
