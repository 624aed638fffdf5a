// offline/viewer.js: the offline page's whole viewer (inlined by app/export/formats.py's to_html). It reads the
// run and its events from the JSON block #mpscope-data, draws one lane per (pid, proc) on a canvas (lock
// waits and holds and pool tasks as bars, every other event as a tick) and replays the run: play/pause,
// step, a scrubber, click to seek. No server, no network, no modules: it must work from file://.
// Test hooks on #lanes: data-lanes (lanes drawn), data-cursor (events shown so far), data-playing.
(() => {
  "use strict";
  const { run, events } = JSON.parse(document.getElementById("mpscope-data").textContent);
  const evs = events.slice().sort((a, b) => a.t - b.t || a.seq - b.seq);
  evs.forEach((e, i) => (e.i = i)); // position in time order: the x of the "event order" axis
  const tEnd = evs.reduce((m, e) => Math.max(m, e.t), 1);
  const COLORS = {
    lock: "#f0a030", value: "#4ea1ff", array: "#4ea1ff", queue: "#3ccf8e", pipe: "#b48cff",
    process: "#8a94a6", pool: "#2ec4c4", thread: "#8a94a6", log: "#e8e8e8", run: "#ffffff",
    semaphore: "#f0a030", barrier: "#f07ab0", event: "#f07ab0", manager: "#b48cff", error: "#ff5c5c",
  };
  const REPLAY_SECONDS = 10; // at 1x the whole run replays in 10 s, however long it took
  const LABEL_W = 170, AXIS_H = 26, LANE_H = 30, PAD = 10;
  const $ = (id) => document.getElementById(id);
  const wrap = $("lanes"), canvas = $("canvas"), ctx = canvas.getContext("2d");
  const color = (kind) => (kind.endsWith("error") || kind === "deadlock.detected" ? COLORS.error : COLORS[kind.split(".")[0]] || "#c0c0c0");

  // Lanes, in order of first appearance; run.* events belong to the run, not to a lane.
  const lanes = new Map();
  for (const e of evs) {
    if (e.kind.startsWith("run.")) continue;
    const key = `${e.pid}\u0000${e.proc}`;
    if (!lanes.has(key)) lanes.set(key, { pid: e.pid, proc: e.proc, row: lanes.size, events: [], spans: [] });
    lanes.get(key).events.push(e);
  }
  // Spans: lock.wait -> acquired/timeout, lock.acquired -> released, pool.task.start -> end.
  for (const lane of lanes.values()) {
    const open = new Map();
    const close = (key, e, what) => {
      const start = open.get(key);
      if (start !== undefined) lane.spans.push({ a: start, b: e, what }), open.delete(key);
    };
    for (const e of lane.events) {
      const d = e.data || {};
      if (e.kind === "lock.wait") open.set(`w${d.lock}`, e);
      else if (e.kind === "lock.acquired") close(`w${d.lock}`, e, "wait"), open.set(`h${d.lock}`, e);
      else if (e.kind === "lock.timeout") close(`w${d.lock}`, e, "wait");
      else if (e.kind === "lock.released") close(`h${d.lock}`, e, "hold");
      else if (e.kind === "pool.task.start") open.set(`t${d.task}`, e);
      else if (e.kind === "pool.task.end") close(`t${d.task}`, e, "task");
    }
    const last = lane.events[lane.events.length - 1];
    for (const [key, a] of open) lane.spans.push({ a, b: last, what: { w: "wait", h: "hold", t: "task" }[key[0]] });
  }
  wrap.dataset.lanes = String(lanes.size);

  // Header: the run's parameters and result, as text (never as HTML).
  const start = evs.find((e) => e.kind === "run.start");
  if (start && start.data.title) $("title").textContent = start.data.title;
  $("count").textContent = evs.length.toLocaleString("en");
  const chips = (ul, obj) => {
    for (const [k, v] of Object.entries(obj || {})) {
      const li = document.createElement("li");
      const b = document.createElement("b");
      li.className = "chip";
      b.textContent = typeof v === "object" ? JSON.stringify(v) : String(v);
      li.append(`${k}=`, b);
      ul.append(li);
    }
  };
  chips($("params"), run.params);
  chips($("result"), run.result && typeof run.result === "object" ? run.result : run.result == null ? {} : { result: run.result });
  $("legend").textContent = "";
  for (const [name, c] of [["lock wait", "rgba(240,160,48,.35)"], ["lock held", COLORS.lock], ["pool task", COLORS.pool],
    ["value/array", COLORS.value], ["queue", COLORS.queue], ["pipe/manager", COLORS.pipe], ["process", COLORS.process], ["error", COLORS.error]]) {
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = c;
    $("legend").append(sw, name, " ");
  }

  // Drawing: the static picture is drawn once per size into `layer`; each frame copies it, dims the
  // future (right of the cursor) and draws the cursor.
  const layer = document.createElement("canvas");
  let width = 0, height = 0, dpr = 1;
  // The x axis: real time, or event order (every event one equal step: a burst of work spread out).
  let byOrder = false;
  const frac = (e) => (byOrder ? e.i / Math.max(1, evs.length - 1) : e.t / tEnd);
  const x = (e) => LABEL_W + frac(e) * (width - LABEL_W - PAD);
  function layout() {
    dpr = window.devicePixelRatio || 1;
    width = Math.max(320, wrap.clientWidth);
    height = AXIS_H + lanes.size * LANE_H + PAD;
    for (const c of [canvas, layer]) (c.width = Math.round(width * dpr)), (c.height = Math.round(height * dpr));
    canvas.style.height = `${height}px`;
    const g = layer.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = "#14171c";
    g.fillRect(0, 0, width, height);
    g.font = "12px system-ui, sans-serif";
    g.textBaseline = "middle";
    // Time axis with round steps.
    const step = niceStep((byOrder ? evs.length : tEnd) / 8);
    g.strokeStyle = "#2a2f38";
    g.fillStyle = "#8a94a6";
    for (let v = 0; v <= (byOrder ? evs.length - 1 : tEnd); v += step) {
      const gx = x(byOrder ? { i: v } : { t: v }) + 0.5;
      g.beginPath(), g.moveTo(gx, AXIS_H - 6), g.lineTo(gx, height), g.stroke();
      if (gx + 50 < width) g.fillText(byOrder ? `#${v.toLocaleString("en")}` : fmtTime(v), gx + 3, AXIS_H / 2);
    }
    for (const lane of lanes.values()) {
      const y = AXIS_H + lane.row * LANE_H;
      g.fillStyle = lane.row % 2 ? "#181c22" : "#1c2129";
      g.fillRect(0, y, width, LANE_H);
      g.fillStyle = "#e8e8e8";
      g.fillText(fit(g, `${lane.proc} (${lane.pid})`, LABEL_W - 12), 8, y + LANE_H / 2);
      for (const s of lane.spans) {
        g.fillStyle = s.what === "wait" ? "rgba(240,160,48,.35)" : s.what === "hold" ? COLORS.lock : COLORS.pool;
        const top = s.what === "wait" ? y + 9 : y + 6;
        g.fillRect(x(s.a), top, Math.max(1, x(s.b) - x(s.a)), s.what === "wait" ? LANE_H - 18 : LANE_H - 12);
      }
      for (const e of lane.events) {
        g.fillStyle = color(e.kind);
        g.fillRect(Math.round(x(e)), y + 3, 1, LANE_H - 6);
      }
    }
    for (const e of evs) {
      if (!e.kind.startsWith("run.")) continue;
      g.fillStyle = e.kind === "run.error" ? COLORS.error : "#ffffff";
      g.fillRect(Math.round(x(e)), AXIS_H - 8, 2, 8);
    }
    draw();
  }

  // Replay state: `shown` events (in time order) are on screen; `now` is the cursor's time in ns.
  let shown = 0, now = 0, playing = false, last = 0, progress = 0;
  const scrub = $("scrub"), play = $("play");
  scrub.max = String(evs.length);
  function draw() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(layer, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const cx = shown === 0 ? LABEL_W : x(evs[shown - 1]);
    ctx.fillStyle = "rgba(20,23,28,.78)";
    ctx.fillRect(cx + 1, AXIS_H, width - cx, height - AXIS_H);
    ctx.fillStyle = "#ff4fa0";
    ctx.fillRect(Math.round(cx), 0, 2, height);
    const cur = evs[shown - 1];
    if (cur && !cur.kind.startsWith("run.")) {
      const lane = lanes.get(`${cur.pid}\u0000${cur.proc}`);
      ctx.beginPath();
      ctx.arc(cx + 1, AXIS_H + lane.row * LANE_H + LANE_H / 2, 5, 0, 2 * Math.PI);
      ctx.fillStyle = color(cur.kind);
      ctx.fill();
    }
    Object.assign(wrap.dataset, { cursor: String(shown), playing: String(playing) });
    scrub.value = String(shown);
    play.textContent = playing ? "▮▮ Pause" : "▶ Play";
    $("clock").textContent = `${fmtTime(now)} / ${fmtTime(tEnd)} · event ${shown.toLocaleString("en")} of ${evs.length.toLocaleString("en")}`;
    $("detail").textContent = cur
      ? `#${cur.seq}  t=${fmtTime(cur.t)}  ${cur.proc} (pid ${cur.pid})  ${cur.kind}  ${JSON.stringify(cur.data)}`
      : "Press ▶ to replay the run, or step through it with ⏭ (→).";
  }
  /** Show the first `n` events; the cursor goes to the last one's time. */
  function seek(n) {
    shown = Math.max(0, Math.min(evs.length, n));
    now = shown ? evs[shown - 1].t : 0;
    draw();
  }
  // Play paces by events, not by time: a run is mostly idle start-up and a burst of work, and the
  // burst is what a class wants to watch. At 1x every event gets an equal share of REPLAY_SECONDS.
  function tick(ts) {
    if (!playing) return;
    const perSecond = (evs.length * Number($("speed").value)) / REPLAY_SECONDS;
    progress = Math.min(evs.length, progress + ((ts - last) / 1000) * perSecond);
    last = ts;
    shown = Math.floor(progress);
    now = shown ? evs[shown - 1].t : 0;
    if (shown >= evs.length) playing = false;
    draw();
    if (playing) requestAnimationFrame(tick);
  }
  function toggle() {
    playing = !playing;
    if (playing) {
      if (shown >= evs.length) shown = 0, now = 0;
      progress = shown;
      last = performance.now();
      requestAnimationFrame(tick);
    }
    draw();
  }
  const stop = () => ((playing = false), draw());
  play.addEventListener("click", toggle);
  $("step").addEventListener("click", () => (stop(), seek(shown + 1)));
  $("back").addEventListener("click", () => (stop(), seek(shown - 1)));
  scrub.addEventListener("input", () => (stop(), seek(Number(scrub.value))));
  canvas.addEventListener("click", (ev) => {
    const f = (ev.offsetX - LABEL_W) / (width - LABEL_W - PAD);
    let n = 0;
    while (n < evs.length && frac(evs[n]) <= f) n++;
    stop(), seek(n);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
    if (ev.key === " ") ev.preventDefault(), toggle();
    else if (ev.key === "ArrowRight") stop(), seek(shown + 1);
    else if (ev.key === "ArrowLeft") stop(), seek(shown - 1);
  });
  $("axis").addEventListener("change", () => ((byOrder = $("axis").value === "order"), layout()));
  window.addEventListener("resize", layout);
  layout();

  function niceStep(raw) {
    const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
    return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || 10 * p;
  }
  function fmtTime(ns) {
    if (tEnd >= 2e9) return `${(ns / 1e9).toFixed(2)} s`;
    return `${(ns / 1e6).toFixed(tEnd >= 2e7 ? 0 : 2)} ms`;
  }
  function fit(g, text, w) {
    if (g.measureText(text).width <= w) return text;
    while (text.length > 1 && g.measureText(`${text}…`).width > w) text = text.slice(0, -1);
    return `${text}…`;
  }
})();
