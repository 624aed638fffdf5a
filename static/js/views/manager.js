// views/manager.js: the shared-state panel of the "manager" scenario: the manager's server process,
// what a proxy call costs next to a shared Value operation (big numbers and their ratio), the calls
// each worker sent to the server, and the server's list and dict as the calls built them.
// Test hooks on the view root: data-server-pid, data-calls, data-list-len, data-dict-len,
// data-proxy-p50, data-value-p50, data-ratio, data-final ("true" once the result is in).

import { h, replace } from "../dom.js";
import { applyRun, liveView, noResult, runFields, verdict, words } from "./live-view.js";
import { fmtInt } from "../format.js";
import { t } from "../i18n.js";

const SHOW_LIST = 12;
const SHOW_DICT = 6;

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    server: h("div", { class: "m-server" }),
    proxy: h("div", { class: "m-cost-value mono" }),
    value: h("div", { class: "m-cost-value mono" }),
    ratio: h("div", { class: "m-ratio" }),
    workers: h("ul", { class: "m-workers" }),
    listHead: h("h4"),
    list: h("ol", { class: "m-list mono" }),
    dictHead: h("h4"),
    dict: h("dl", { class: "m-dict mono" }),
  };
  const said = verdict("m-verdict");
  const root = h("div", { class: "view view-manager", dataset: { view: "manager" } },
    el.server,
    h("div", { class: "m-costs" },
      h("div", { class: "m-cost proxy" }, words("mgr.proxy", "div", "m-label"), el.proxy, words("mgr.proxyHow", "div", "m-how")),
      h("div", { class: "m-cost value" }, words("mgr.value", "div", "m-label"), el.value, words("mgr.valueHow", "div", "m-how"))),
    el.ratio,
    said.el,
    h("section", { class: "view-section" }, words("mgr.calls", "h4"), el.workers),
    h("section", { class: "view-section" }, el.listHead, el.list),
    h("section", { class: "view-section" }, el.dictHead, el.dict),
  );
  container.append(root);


  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const r = s.result;
    const final = Boolean(r && typeof r.proxy_call_us_p50 === "number");
    const proxyP50 = final ? r.proxy_call_us_p50 : median(s.proxyUs);
    const valueP50 = final ? r.value_op_us_p50 : median(s.valueUs);
    const ratio = proxyP50 !== null && valueP50 ? proxyP50 / valueP50 : null;

    const alive = s.serverPid !== null && s.serverExit === null;
    el.server.className = `m-server${alive ? " alive" : ""}`;
    replace(el.server,
      h("span", { class: "m-server-name mono", text: "manager" }),
      h("span", { class: "m-server-what", text: t("mgr.server") }),
      h("span", { class: "m-server-pid mono", text: s.serverPid === null ? t("mgr.notStarted") : `pid ${s.serverPid}` }),
      h("span", { class: "m-server-state", text: s.serverPid === null ? "" : alive ? t("mgr.running") : t("mgr.exited", { code: String(s.serverExit) }) }));
    el.proxy.textContent = fmtUs(proxyP50);
    el.value.textContent = fmtUs(valueP50);
    el.ratio.textContent = ratio === null ? t("mgr.medians") : t("mgr.slower", { ratio: fmtRatio(ratio) });

    const workers = [...s.workers.entries()].sort((a, b) => a[0].localeCompare(b[0], "en", { numeric: true }));
    const most = Math.max(1, ...workers.map(([, n]) => n));
    replace(el.workers, ...workers.map(([name, n]) => {
      const bar = h("span", { class: "m-bar" });
      bar.style.width = `${(100 * n) / most}%`;
      return h("li", {}, h("span", { class: "m-worker mono", text: name }), h("span", { class: "m-bar-box" }, bar), h("span", { class: "m-count mono", text: fmtInt(n) }));
    }));
    if (!workers.length) el.workers.append(h("li", { class: "dim", text: t("mgr.noCalls") }));

    const listLen = final ? r.list.length : s.list.length;
    const dictLen = final ? Object.keys(r.dict).length : s.dict.size;
    el.listHead.textContent = t("mgr.items", { n: fmtInt(listLen) });
    const tail = s.list.slice(-SHOW_LIST);
    replace(el.list,
      s.list.length > SHOW_LIST ? h("li", { class: "more", text: `… ${fmtInt(s.list.length - SHOW_LIST)}` }) : null,
      ...tail.map((item) => h("li", { text: item })));
    el.dictHead.textContent = t("mgr.keys", { n: fmtInt(dictLen) });
    const entries = [...s.dict.entries()].slice(-SHOW_DICT);
    replace(el.dict, ...entries.flatMap(([k, v]) => [h("dt", { text: `${k}:` }), h("dd", { text: String(v) })]));
    if (s.dict.size > SHOW_DICT) el.dict.prepend(h("div", { class: "more", text: t("mgr.more", { n: fmtInt(s.dict.size - SHOW_DICT) }) }));

    if (final) {
      const expected = Number(s.params.workers) * Number(s.params.ops);
      const ok = listLen === expected && dictLen === expected;
      if (ok) said.set("good", t("mgr.ok", { n: fmtInt(expected) }));
      else said.set("bad", t("mgr.bad", { n: fmtInt(expected), list: fmtInt(listLen), dict: fmtInt(dictLen) }));
    } else said.set("pending", s.ended ? noResult(s.endStatus) : s.started ? t("mgr.soFar", { n: fmtInt(s.calls) }) : t("view.waiting"));
    Object.assign(root.dataset, {
      serverPid: String(s.serverPid ?? ""),
      calls: String(s.calls),
      listLen: String(listLen),
      dictLen: String(dictLen),
      proxyP50: String(proxyP50 ?? ""),
      valueP50: String(valueP50 ?? ""),
      ratio: ratio === null ? "" : ratio.toFixed(1),
      final: String(final),
    });
  }

  return liveView(root, emptyState, apply, render);
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {number|null} */ serverPid: null,
    /** @type {number|null} */ serverExit: null,
    calls: 0,
    /** @type {Map<string, number>} worker -> proxy calls */ workers: new Map(),
    /** @type {string[]} the server's list, in the order the appends were reported */ list: [],
    /** @type {Map<string, any>} */ dict: new Map(),
    /** @type {number[]} */ proxyUs: [],
    /** @type {number[]} */ valueUs: [],
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) return;
  const d = ev.data;
  switch (ev.kind) {
    case "process.start":
      if (d.role === "manager") s.serverPid = ev.pid;
      break;
    case "process.exit":
      if (ev.pid === s.serverPid) s.serverExit = typeof d.exitcode === "number" ? d.exitcode : -1;
      break;
    case "manager.call":
      s.calls++;
      s.workers.set(ev.proc, (s.workers.get(ev.proc) ?? 0) + 1);
      if (typeof d.us === "number") s.proxyUs.push(d.us);
      if (d.target === "list" && d.method === "append") s.list.push(String(d.arg));
      else if (d.target === "dict" && d.method === "__setitem__") s.dict.set(String(d.arg), d.value);
      break;
    case "value.write":
      if (typeof d.us === "number") s.valueUs.push(d.us);
      break;
  }
}

/** @param {number[]} xs @returns {number|null} */
function median(xs) {
  if (!xs.length) return null;
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** @param {number|null} us */
function fmtUs(us) {
  if (us === null || us === undefined) return "–";
  if (us >= 10_000) return `${fmtInt(Math.round(us / 1000))} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us >= 100 ? Math.round(us) : us.toFixed(1)} µs`;
}

/** @param {number} x */
function fmtRatio(x) {
  return x >= 10 ? fmtInt(Math.round(x)) : x.toFixed(1);
}
