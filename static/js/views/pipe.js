// views/pipe.js: the shared-state panel of the "pipe" scenario: the pipe's two ends as big endpoints,
// the messages crossing between them (counted, the latest one sliding along the pipe), and the p50
// round trip (ping-pong) or one-way latency, next to the pause between messages.
// Test hooks on the view root: data-mode, data-sent, data-received, data-replies, data-in-flight,
// data-rtt-p50, data-final ("true" once the result is in).

import { h } from "../dom.js";
import { fmtInt } from "../format.js";
import { t } from "../i18n.js";
import { applyRun, liveView, noResult, runFields, verdict } from "./live-view.js";

/**
 * @param {HTMLElement} container
 * @returns {import("./index.js").View}
 */
export function createView(container) {
  const el = {
    left: h("div", { class: "p-end-name mono" }),
    leftCount: h("div", { class: "p-end-count" }),
    right: h("div", { class: "p-end-name mono" }),
    rightCount: h("div", { class: "p-end-count" }),
    channel: h("div", { class: "p-channel", "aria-hidden": "true" }),
    forward: h("div", { class: "p-arrow fwd mono" }),
    back: h("div", { class: "p-arrow back mono" }),
    metric: h("div", { class: "p-metric-value mono" }),
    metricLabel: h("div", { class: "p-label" }),
    pause: h("div", { class: "p-pause" }),
  };
  const said = verdict("p-verdict");
  const root = h("div", { class: "view view-pipe", dataset: { view: "pipe" } },
    h("div", { class: "p-label" }, h("span", { translate: "no", text: "Pipe" }), " ", h("code", { text: "conn.send() → conn.recv()" })),
    // Stacked like the timeline's lanes: the first process on top, messages travel down (and back up).
    h("div", { class: "p-ends" },
      h("div", { class: "p-end" }, el.left, el.leftCount),
      h("div", { class: "p-mid" }, el.forward, el.channel, el.back),
      h("div", { class: "p-end" }, el.right, el.rightCount)),
    h("div", { class: "p-metric" }, el.metricLabel, el.metric, el.pause),
    said.el,
  );
  container.append(root);

  let animate = false; // only for events that arrive live, a few at a time

  /** @param {ReturnType<typeof emptyState>} s */
  function render(s) {
    const pingPong = (s.result?.mode ?? s.params.mode ?? "ping-pong") === "ping-pong";
    const [a, b] = pingPong ? ["ping", "pong"] : ["sender", "receiver"];
    const A = s.lane.get(a) ?? emptyLane();
    const B = s.lane.get(b) ?? emptyLane();
    const r = s.result;
    const final = Boolean(r && typeof r.sent === "number");
    const sent = final ? r.sent : A.sent;
    const received = final ? r.received : B.received;
    const replies = pingPong ? (final ? r.replies ?? A.received : A.received) : null;
    el.left.textContent = a;
    el.right.textContent = b;
    el.leftCount.textContent = pingPong ? t("pipe.sentBack", { sent: fmtInt(sent), back: fmtInt(replies) }) : t("pipe.sent", { sent: fmtInt(sent) });
    el.rightCount.textContent = pingPong
      ? t("pipe.receivedBack", { received: fmtInt(received), back: fmtInt(B.sent) })
      : t("pipe.received", { received: fmtInt(received) });
    el.forward.textContent = `↓ ${fmtInt(sent)}`;
    el.back.textContent = pingPong ? `${fmtInt(replies)} ↑` : t("pipe.oneWay");
    el.back.classList.toggle("off", !pingPong);
    const inFlight = Math.max(0, A.sent - B.received) + (pingPong ? Math.max(0, B.sent - A.received) : 0);

    if (s.last && animate) {
      const dot = h("span", { class: `p-msg ${s.last.dir}`, text: String(s.last.msg) });
      el.channel.replaceChildren(dot);
      s.last = null;
    } else if (!animate || s.ended) el.channel.replaceChildren();

    // The measured value from the result; while running, the same median from the events' times.
    const live = median(pingPong ? s.rtt : s.oneWay);
    const p50 = final ? (pingPong ? r.round_trip_us_p50 : r.one_way_us_p50) : live;
    el.metricLabel.textContent = t(pingPong ? "pipe.rtt" : "pipe.latency");
    el.metric.textContent = p50 === null || p50 === undefined ? "–" : fmtUs(p50);
    const delay = Number(s.params.delay_ms);
    el.pause.textContent = Number.isFinite(delay) && delay > 0 ? t("pipe.pause", { ms: fmtInt(delay) }) : t("pipe.noPause");

    if (final) {
      const ok = r.sent === r.received && (!pingPong || r.replies === r.sent);
      if (ok) said.set("good", t(pingPong ? "pipe.allBack" : "pipe.allArrived", { n: fmtInt(r.sent) }));
      else said.set("bad", t("pipe.sentReceived", { sent: fmtInt(r.sent), received: fmtInt(r.received) }));
    } else said.set("pending", s.ended ? noResult(s.endStatus) : s.started ? t("pipe.inFlight", { n: fmtInt(inFlight) }) : t("view.waiting"));
    Object.assign(root.dataset, {
      mode: pingPong ? "ping-pong" : "one-way",
      sent: String(sent),
      received: String(received),
      replies: String(replies ?? ""),
      inFlight: String(inFlight),
      rttP50: String(final ? r.round_trip_us_p50 ?? "" : ""),
      final: String(final),
    });
  }

  return liveView(root, emptyState, apply, render, {
    onBatch: (s, events) => {
      animate = events.length <= 20 && !s.ended;
    },
  });
}

function emptyLane() {
  return { sent: 0, received: 0, /** @type {Map<any, number>} msg -> t of its send */ sendT: new Map() };
}

function emptyState() {
  return {
    ...runFields(),
    /** @type {Map<string, ReturnType<typeof emptyLane>>} */ lane: new Map(),
    /** @type {number[]} ping's send -> ping's receive of the reply, µs (from event times) */ rtt: [],
    /** @type {number[]} sender's send -> receiver's receive, µs */ oneWay: [],
    /** @type {{msg: any, dir: string}|null} the newest message that arrived */ last: null,
  };
}

/**
 * @param {ReturnType<typeof emptyState>} s
 * @param {import("../run-stream.js").RunEvent} ev
 */
function apply(s, ev) {
  if (applyRun(s, ev)) return;
  if (ev.kind !== "pipe.send" && ev.kind !== "pipe.recv") return;
  const d = ev.data;
  let lane = s.lane.get(ev.proc);
  if (!lane) s.lane.set(ev.proc, (lane = emptyLane()));
  if (ev.kind === "pipe.send") {
    lane.sent++;
    if (ev.proc === "ping" || ev.proc === "sender") lane.sendT.set(d.msg, ev.t);
    return;
  }
  lane.received++;
  s.last = { msg: d.msg, dir: ev.proc === "ping" ? "up" : "down" };
  const from = s.lane.get(ev.proc === "ping" ? "ping" : ev.proc === "receiver" ? "sender" : "");
  const t0 = from?.sendT.get(d.msg);
  if (t0 === undefined) return;
  from?.sendT.delete(d.msg);
  (ev.proc === "ping" ? s.rtt : s.oneWay).push((ev.t - t0) / 1000);
}

/** @param {number[]} xs @returns {number|null} */
function median(xs) {
  if (!xs.length) return null;
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** @param {number} us */
function fmtUs(us) {
  if (us >= 10_000) return `${fmtInt(Math.round(us / 1000))} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us >= 100 ? Math.round(us) : us.toFixed(1)} µs`;
}
