// i18n.js: the interface's words in English and Traditional Chinese. The language is lang.js's
// (one choice for the explanations and the interface, remembered in localStorage).
//
// Adding a string: put the key in both tables below (zh falls back to en when missing), then either
// - static text: give the element data-i18n="key" (text), data-i18n-title / data-i18n-aria-label (attributes);
//   translate() fills them on boot and on every switch, in templates and in widgets alike;
// - text that depends on state: call t("key", {name: value}) in the widget's render() and re-render on onLang().
// "{name}" in a string is replaced by vars.name. Numbers, units and parameter names stay as they are.

import * as panels from "./i18n-panels.js";
import * as traced from "./i18n-trace.js";
import { getLang, onLang, setLang } from "./lang.js";

export { getLang, onLang, setLang };

/** @type {Record<string, string>} */
const EN = {
  "skip": "Skip to content",
  "brand.home": "mpscope home",
  "brand.live": ", live",
  "lang.group": "Interface language",
  "theme.button": "◐ Projector",
  "theme.title": "Projector theme: high contrast, large type (p)",
  "help.open": "Keyboard shortcuts",
  "help.openTitle": "Keyboard shortcuts (?)",
  "help.title": "Keyboard shortcuts",
  "help.space": "Play or pause the replay of a finished run",
  "help.arrows": "Previous / next event (replay)",
  "help.f": "Full screen on or off",
  "help.p": "Projector theme on or off (high contrast, large type)",
  "help.help": "This help",
  "help.esc": "Close this help",
  "help.note": "In a replay, click a lane's name in the timeline to step through that process's events.",
  "help.close": "Close",
  "conn.connecting": "Connecting…",
  "conn.open": "Live: connected",
  "conn.waiting": "Reconnecting…",
  "side.label": "Scenarios and runs",
  "side.scenarios": "Scenarios",
  "side.runs": "Recent runs",
  "side.noRuns": "No runs yet. Pick a scenario and press ▶ Run.",
  "side.events": "events",
  "side.cancel": "Cancel",
  "side.cancelRun": "Cancel {id}",
  "side.loadFailed": "Could not load scenarios: {error}",
  "home.h": "Watch Python processes work, and collide.",
  "home.lead1": "Pick a lesson, press",
  "home.lead2": ": every process gets a lane on the timeline, every lock, read and write shows up as it happens.",
  "scn.concepts": "Concepts",
  "scn.unavailable": "Scenario unavailable",
  "scn.missing": "There is no scenario \"{id}\". Pick one from the list.",
  "scn.loadFailed": "Could not load scenario: {error}",
  "explain.h": "Explanation",
  "explain.group": "Explanation language",
  "form.label": "Run parameters",
  "form.h": "Parameters",
  "form.presets": "Presets",
  "form.method": "Start method",
  "form.methodHelp": "how child processes are created",
  "form.run": "▶ Run",
  "form.tooMany": "Too many runs at once: {error}",
  "source.summary": "Source",
  "source.code": "Source code",
  "status.queued": "queued",
  "status.running": "running",
  "status.succeeded": "succeeded",
  "status.failed": "failed",
  "status.cancelled": "cancelled",
  "status.interrupted": "interrupted",
  "status.unknown": "unknown",
  "run.page": "Run",
  "run.title": "Run",
  "run.id": "run {id}",
  "run.cancel": "✕ Cancel",
  "run.pause": "‖ Pause workers",
  "run.resume": "▶ Resume workers",
  "run.pauseFailed": "Could not pause or resume: {error}",
  "run.again": "↻ Run again",
  "run.edit": "✎ Change parameters",
  "run.method": "Start method",
  "run.duration": "Duration",
  "run.events": "Events",
  "run.params": "Parameters",
  "run.result": "Result",
  "run.error": "Error: {error}",
  "run.dropped": "⚠ {n} events were dropped (the reporting queue was full): the timeline is incomplete.",
  "run.missing": "There is no run \"{id}\". Pick a run from the list or start one.",
  "run.reconnecting": "Connection lost, reconnecting…",
  "run.startFailed": "Could not start: {error}",
  "run.cancelFailed": "Cancel failed: {error}",
  "run.timeline": "Timeline",
  "run.state": "Shared state",
  "run.lookFor": "What to look for",
  "counters.label": "Live counters",
  "counters.rate": "Events / s",
  "counters.dropped": "Dropped",
  "counters.viewers": "Viewers",
  "counters.cost": "Reporter overhead",
  "counters.lastSecond": "received in the last second",
  "counters.average": "average over {duration}",
  "counters.waiting": "waiting for events",
  "counters.lost": "⚠ never delivered: the timeline is incomplete",
  "counters.noneLost": "nothing lost on the way",
  "counters.following": "following live",
  "counters.followingPeak": "following live · peak {n}",
  "counters.perEmit": "per emit · {n} emits · {duration} in all",
  "counters.measured": "measured as each process ends",
  "counters.costTitle": "{n} processes reported what their emit() calls cost",
  "replay.label": "Replay",
  "replay.speed": "Speed",
  "replay.speedLabel": "Replay speed",
  "replay.position": "Replay position (time)",
  "replay.play": "▶ Play",
  "replay.pause": "‖ Pause",
  "replay.replay": "▶ Replay",
  "replay.playTitle": "Play the replay (space)",
  "replay.pauseTitle": "Pause the replay (space)",
  "replay.next": "→ Next event",
  "replay.nextTitle": "Next event (→); previous: ←",
  "replay.nextOf": "→ Next of {proc}",
  "replay.nextOfAny": "→ Next of a process",
  "replay.nextOfTitle": "Next event of {proc} (pid {pid})",
  "replay.pickLane": "Click a lane label in the timeline to pick a process",
  "replay.showAll": "■ Show all",
  "replay.showAllTitle": "Leave replay: show the whole run",
  "replay.time": "{at} / {end} · event {i} of {n}",
  "export.button": "⇩ Export",
  "export.perfetto": "Perfetto / Chrome trace (.json)",
  "export.perfettoHint": "Open in ui.perfetto.dev or chrome://tracing",
  "export.ndjson": "Raw events (.ndjson)",
  "export.ndjsonHint": "One event per line; mpscope import loads it back",
  "export.html": "Offline page (.html)",
  "export.htmlHint": "Replays the run with no server and no network",
  "cmp.h": "Compare two runs",
  "cmp.summary": "Summary",
  "cmp.note": "Bold green: the better of the two. One time axis: zoom or drag either timeline.",
  "cmp.metric": "Measure",
  "cmp.duration": "Duration",
  "cmp.events": "Events",
  "cmp.rate": "Events / s",
  "cmp.procs": "Processes",
  "cmp.lost": "Lost updates",
  "cmp.queue": "Max queue depth",
  "cmp.lockWait": "Time waiting for locks",
  "cmp.result": "Result: {name}",
  "cmp.status": "Status",
  "cmp.loading": "Loading runs {a} and {b}…",
  "cmp.needTwo": "Pick two runs to compare: /compare?a=RUN&b=RUN (or tick two runs in the sidebar).",
  "cmp.loadFailed": "Could not load run {id}: {error}",
  "cmp.link": "⇆ Compare side by side",
  "side.compare": "⇆ Compare 2",
  "side.pick": "Pick {id} for comparison",
  "present.start": "▣ Present",
  "present.startTitle": "Present: the audience follows what this page shows, joining with a code or a QR code",
  "present.presenting": "Presenting",
  "present.joinWith": "Join code",
  "present.qr": "QR code of the join link",
  "present.screen": "⛶ Join screen",
  "present.screenH": "Follow along: scan the code, or type it",
  "present.followers": "{n} following",
  "present.stop": "■ Stop presenting",
  "present.hide": "▴ Hide",
  "present.hideTitle": "Hide this card; the Presenting button above brings it back",
  "present.chipTitle": "Show or hide the join code and the poll",
  "poll.dismiss": "✕ Hide",
  "present.failed": "Could not start presenting: {error}",
  "follow.join": "⇥ Join",
  "follow.joinTitle": "Follow a presenter's screen with a join code",
  "follow.joinH": "Join a presentation",
  "follow.code": "Join code",
  "follow.unknown": "No presentation has the code {code}.",
  "follow.following": "Following",
  "follow.readOnly": "read-only",
  "follow.leave": "Leave",
  "follow.ended": "The presentation has ended.",
  "poll.open": "? Ask the audience",
  "poll.tag": "Predict the result",
  "poll.tagOpen": "Poll · open",
  "poll.tagClosed": "Poll · closed",
  "poll.question": "Question",
  "poll.defaultQuestion": "What will the counter be?",
  "poll.kind": "Kind of answer",
  "poll.kindNumber": "A number",
  "poll.kindChoice": "Choices",
  "poll.choices": "Choices",
  "poll.choicesHint": "choices, separated by |",
  "poll.ask": "Ask",
  "poll.cancel": "Cancel",
  "poll.close": "■ Close the poll",
  "poll.rightAnswer": "Right answer",
  "poll.show": "Show",
  "poll.new": "New question",
  "poll.answers": "{n} answers",
  "poll.median": "median {v}",
  "poll.right": "right answer {v}: {n} exact",
  "poll.yourAnswer": "Your answer",
  "poll.send": "Send",
  "poll.sent": "Sent: {v}. You can change it until the poll closes.",
};

/** @type {Record<string, string>} Traditional characters; the tutorial's words (進程, 進程池, 鎖, 隊列). */
const ZH = {
  "skip": "跳到主要內容",
  "brand.home": "mpscope 首頁",
  "brand.live": "：多進程，即時呈現",
  "lang.group": "介面語言",
  "theme.button": "◐ 投影模式",
  "theme.title": "投影模式：高對比、大字體 (p)",
  "help.open": "鍵盤快捷鍵",
  "help.openTitle": "鍵盤快捷鍵 (?)",
  "help.title": "鍵盤快捷鍵",
  "help.space": "播放或暫停已結束執行的重播",
  "help.arrows": "上一個／下一個事件（重播）",
  "help.f": "開啟或關閉全螢幕",
  "help.p": "開啟或關閉投影模式（高對比、大字體）",
  "help.help": "顯示這個說明",
  "help.esc": "關閉這個說明",
  "help.note": "重播時，點選時間軸上某條進程的名稱，即可逐一查看該進程的事件。",
  "help.close": "關閉",
  "conn.connecting": "連線中…",
  "conn.open": "即時：已連線",
  "conn.waiting": "重新連線中…",
  "side.label": "情境與執行紀錄",
  "side.scenarios": "情境",
  "side.runs": "最近的執行",
  "side.noRuns": "還沒有執行紀錄。選一個情境，按下 ▶ 執行 Run。",
  "side.events": "事件",
  "side.cancel": "取消",
  "side.cancelRun": "取消 {id}",
  "side.loadFailed": "無法載入情境：{error}",
  "home.h": "看 Python 進程如何工作，又如何互相碰撞。",
  "home.lead1": "選一個課題，按下",
  "home.lead2": "：每個進程在時間軸上都有自己的一條軌道，每次取得鎖、讀取與寫入都即時顯示。",
  "scn.concepts": "概念",
  "scn.unavailable": "無法使用此情境",
  "scn.missing": "沒有名為「{id}」的情境，請從清單中選擇。",
  "scn.loadFailed": "無法載入情境：{error}",
  "explain.h": "說明",
  "explain.group": "說明的語言",
  "form.label": "執行參數",
  "form.h": "參數",
  "form.presets": "預設組合",
  "form.method": "啟動方式",
  "form.methodHelp": "子進程是如何建立的",
  "form.run": "▶ 執行 Run",
  "form.tooMany": "同時執行的次數太多：{error}",
  "source.summary": "原始碼",
  "source.code": "原始碼",
  "status.queued": "排隊中",
  "status.running": "執行中",
  "status.succeeded": "成功",
  "status.failed": "失敗",
  "status.cancelled": "已取消",
  "status.interrupted": "已中斷",
  "status.unknown": "不明",
  "run.page": "執行",
  "run.title": "執行",
  "run.id": "執行 {id}",
  "run.cancel": "✕ 取消",
  "run.pause": "‖ 暫停所有工作進程",
  "run.resume": "▶ 繼續執行",
  "run.pauseFailed": "無法暫停或繼續：{error}",
  "run.again": "↻ 再執行一次",
  "run.edit": "✎ 修改參數",
  "run.method": "啟動方式",
  "run.duration": "耗時",
  "run.events": "事件數",
  "run.params": "參數",
  "run.result": "結果",
  "run.error": "錯誤：{error}",
  "run.dropped": "⚠ 有 {n} 個事件被丟棄（回報用的隊列已滿）：時間軸並不完整。",
  "run.missing": "沒有編號為「{id}」的執行，請從清單中選擇，或開始新的執行。",
  "run.reconnecting": "連線中斷，重新連線中…",
  "run.startFailed": "無法開始：{error}",
  "run.cancelFailed": "取消失敗：{error}",
  "run.timeline": "時間軸",
  "run.state": "共享狀態",
  "run.lookFor": "觀察重點",
  "counters.label": "即時計數",
  "counters.rate": "事件 / s",
  "counters.dropped": "丟棄",
  "counters.viewers": "觀看人數",
  "counters.cost": "回報的額外開銷",
  "counters.lastSecond": "最近一秒收到的事件",
  "counters.average": "{duration} 內的平均",
  "counters.waiting": "等待事件中",
  "counters.lost": "⚠ 未送達：時間軸並不完整",
  "counters.noneLost": "途中沒有遺失",
  "counters.following": "正在即時觀看",
  "counters.followingPeak": "正在即時觀看 · 最多 {n}",
  "counters.perEmit": "每次 emit · 共 {n} 次 emit · 合計 {duration}",
  "counters.measured": "每個進程結束時量測",
  "counters.costTitle": "{n} 個進程回報了 emit() 呼叫的成本",
  "replay.label": "重播",
  "replay.speed": "速度",
  "replay.speedLabel": "重播速度",
  "replay.position": "重播位置（時間）",
  "replay.play": "▶ 播放",
  "replay.pause": "‖ 暫停",
  "replay.replay": "▶ 重播",
  "replay.playTitle": "播放重播 (space)",
  "replay.pauseTitle": "暫停重播 (space)",
  "replay.next": "→ 下一個事件",
  "replay.nextTitle": "下一個事件 (→)；上一個：←",
  "replay.nextOf": "→ {proc} 的下一個",
  "replay.nextOfAny": "→ 某個進程的下一個",
  "replay.nextOfTitle": "{proc}（pid {pid}）的下一個事件",
  "replay.pickLane": "點選時間軸上的進程名稱來選擇進程",
  "replay.showAll": "■ 顯示全部",
  "replay.showAllTitle": "離開重播：顯示整個執行",
  "replay.time": "{at} / {end} · 第 {i} 個事件，共 {n} 個",
  "export.button": "⇩ 匯出",
  "export.perfetto": "Perfetto / Chrome 追蹤檔 (.json)",
  "export.perfettoHint": "用 ui.perfetto.dev 或 chrome://tracing 開啟",
  "export.ndjson": "原始事件 (.ndjson)",
  "export.ndjsonHint": "每行一個事件；mpscope import 可以載入回來",
  "export.html": "離線網頁 (.html)",
  "export.htmlHint": "不需伺服器、不需網路即可重播這次執行",
  "cmp.h": "比較兩次執行",
  "cmp.summary": "摘要",
  "cmp.note": "綠色粗體：兩者中較好的值。共用一條時間軸：縮放或拖曳任一時間軸即可。",
  "cmp.metric": "項目",
  "cmp.duration": "總時間",
  "cmp.events": "事件數",
  "cmp.rate": "事件 / 秒",
  "cmp.procs": "進程數",
  "cmp.lost": "遺失的更新",
  "cmp.queue": "隊列最大深度",
  "cmp.lockWait": "等待鎖的時間",
  "cmp.result": "結果：{name}",
  "cmp.status": "狀態",
  "cmp.loading": "正在載入執行 {a} 與 {b}…",
  "cmp.needTwo": "請選兩次執行來比較：/compare?a=RUN&b=RUN（或在側欄勾選兩次執行）。",
  "cmp.loadFailed": "無法載入執行 {id}：{error}",
  "cmp.link": "⇆ 並排比較",
  "side.compare": "⇆ 比較 2 次",
  "side.pick": "選擇 {id} 來比較",
  "present.start": "▣ 簡報",
  "present.startTitle": "簡報：觀眾用加入代碼或 QR code 跟著看這個頁面",
  "present.presenting": "簡報中",
  "present.joinWith": "加入代碼",
  "present.qr": "加入連結的 QR code",
  "present.screen": "⛶ 加入畫面",
  "present.screenH": "一起跟著看：掃描 QR code，或輸入代碼",
  "present.followers": "{n} 人跟隨中",
  "present.stop": "■ 結束簡報",
  "present.hide": "▴ 隱藏",
  "present.hideTitle": "隱藏這張卡片；按上方的「簡報中」按鈕可以再顯示",
  "present.chipTitle": "顯示或隱藏加入代碼與投票",
  "poll.dismiss": "✕ 隱藏",
  "present.failed": "無法開始簡報：{error}",
  "follow.join": "⇥ 加入",
  "follow.joinTitle": "用加入代碼跟著講者的畫面",
  "follow.joinH": "加入簡報",
  "follow.code": "加入代碼",
  "follow.unknown": "沒有代碼為 {code} 的簡報。",
  "follow.following": "跟隨",
  "follow.readOnly": "唯讀",
  "follow.leave": "離開",
  "follow.ended": "簡報已結束。",
  "poll.open": "? 向觀眾提問",
  "poll.tag": "預測結果",
  "poll.tagOpen": "投票 · 進行中",
  "poll.tagClosed": "投票 · 已結束",
  "poll.question": "問題",
  "poll.defaultQuestion": "計數器最後會是多少？",
  "poll.kind": "回答的形式",
  "poll.kindNumber": "數字",
  "poll.kindChoice": "選項",
  "poll.choices": "選項",
  "poll.choicesHint": "選項，以 | 分隔",
  "poll.ask": "提問",
  "poll.cancel": "取消",
  "poll.close": "■ 結束投票",
  "poll.rightAnswer": "正確答案",
  "poll.show": "公布",
  "poll.new": "新問題",
  "poll.answers": "{n} 個回答",
  "poll.median": "中位數 {v}",
  "poll.right": "正確答案 {v}：{n} 人完全答對",
  "poll.yourAnswer": "你的答案",
  "poll.send": "送出",
  "poll.sent": "已送出：{v}。投票結束前都可以修改。",
};

const TABLES = { en: { ...EN, ...panels.EN, ...traced.EN }, zh: { ...ZH, ...panels.ZH, ...traced.ZH } };

/**
 * Every string of one language (i18n-panels.js included), for tests and tools.
 * @param {"en"|"zh"} lang
 * @returns {Readonly<Record<string, string>>}
 */
export function strings(lang) {
  return TABLES[lang];
}

/**
 * The text for `key` in the current language, "{name}" replaced by vars.name.
 * @param {string} key
 * @param {Record<string, string|number>} [vars]
 * @returns {string}
 */
export function t(key, vars) {
  const text = TABLES[getLang()][key] ?? TABLES.en[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
}

/**
 * A run status in the current language ("failed" -> "失敗"); one without a word stays as it is.
 * @param {string} status
 * @returns {string}
 */
export function statusWord(status) {
  const key = `status.${status}`;
  return key in TABLES.en ? t(key) : status;
}

/** @returns {string} the BCP 47 tag of the current language, for lang attributes */
export function langTag() {
  return getLang() === "zh" ? "zh-Hant" : "en";
}

const ATTRS = [
  ["i18nTitle", "title"],
  ["i18nAriaLabel", "aria-label"],
];

/**
 * Fill every data-i18n hook under `root` (text and attributes) in the current language.
 * @param {ParentNode} [root]
 */
export function translate(root = document) {
  for (const el of root.querySelectorAll("[data-i18n], [data-i18n-title], [data-i18n-aria-label]")) {
    const hooks = /** @type {HTMLElement} */ (el).dataset;
    if (hooks.i18n) el.textContent = t(hooks.i18n);
    for (const [hook, attr] of ATTRS) if (hooks[hook]) el.setAttribute(attr, t(hooks[hook]));
  }
}

/**
 * The header's language switch (two buttons with aria-pressed); translates the page on every switch.
 * @param {HTMLElement} en
 * @param {HTMLElement} zh
 */
export function initI18n(en, zh) {
  const sync = () => {
    document.documentElement.lang = langTag();
    en.setAttribute("aria-pressed", String(getLang() === "en"));
    zh.setAttribute("aria-pressed", String(getLang() === "zh"));
    translate();
  };
  en.addEventListener("click", () => setLang("en"));
  zh.addEventListener("click", () => setLang("zh"));
  onLang(sync);
  sync();
}
