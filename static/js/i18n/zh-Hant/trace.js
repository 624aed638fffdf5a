// i18n/zh-Hant/trace.js: in Traditional Chinese, the words of a traced program's panel (views/trace.js).
//
// Loaded, with the other areas and languages, by i18n/catalog.js; the code reads them through i18n.js.
// Plain data, checked by tests/test_translations.py: `export default` one JSON object (double-quoted
// keys and strings, no comments inside, no trailing comma). Every key is in each language's file of
// the area, and each language's string has the same {names} (filled from t()'s vars).
//
// Chinese: the tutorial's words (進程, 線程, 進程池, 鎖, 隊列, 生產者, 消費者), Taiwan usage elsewhere
// (記憶體, 伺服器, 預設, 逾時). Class and method names stay English, as in the tutorial: Lock, Queue,
// Pipe, Pool, Value, Array, Manager, Event, Barrier, put/get, map(), pid, exit code values.

export default {
  "trace.processes": "進程",
  "trace.running": "執行中",
  "trace.exitcode": "結束代碼",
  "trace.soFar": "追蹤中：目前 {n} 個進程…",
  "trace.exitOk": "程式以結束代碼 0 結束",
  "trace.exitBad": "程式以結束代碼 {code} 結束",
  "trace.exitDropped": "程式以結束代碼 0 結束；丟失 {dropped} 個事件，{errors} 個檢測錯誤",
  "trace.locks": "Lock 與 Semaphore",
  "trace.name": "名稱",
  "trace.holder": "持有者",
  "trace.waiting": "等待中",
  "trace.taken": "取得次數",
  "trace.free": "空閒",
  "trace.inside": "{n} 個在內",
  "trace.values": "共享數值（Value）",
  "trace.value": "值",
  "trace.writes": "寫入次數",
  "trace.lastWriter": "最後寫入者",
  "trace.queues": "隊列",
  "trace.depth": "深度",
  "trace.putGot": "put / get",
  "trace.blocked": "阻塞",
  "trace.waitPut": "已滿，等待 put：{who}",
  "trace.waitGet": "已空，等待 get：{who}",
  "trace.pipes": "Pipe",
  "trace.sentRecv": "送出 / 收到",
  "trace.lastMsg": "最後訊息",
  "trace.sync": "Event、Barrier、Condition",
  "trace.kind": "種類",
  "trace.state": "狀態",
  "trace.manager": "Manager 代理",
  "trace.proxy": "代理",
  "trace.calls": "呼叫次數",
  "trace.meanUs": "平均 µs",
  "trace.lastCall": "最後呼叫",
  "trace.pool": "進程池工作者",
  "trace.worker": "工作者",
  "trace.tasks": "任務",
  "trace.done": "完成",
  "trace.summary": "追蹤：丟失 {dropped} 個事件，{errors} 個插樁錯誤。",
  "trace.shm": "共享記憶體（shared_memory）",
  "trace.segment": "區段",
  "trace.size": "位元組",
  "trace.shmOpen": "開啟於",
  "trace.shmNote": "透過 shm.buf 讀寫區段的位元組無法追蹤（memoryview 直接存取記憶體，不經過任何 Python 程式碼）：只顯示建立、附加、關閉與 unlink，以及 ShareableList 的項目。",
  "trace.threads": "線程",
  "trace.cores": "線程對比進程：佔用的核心數",
  "trace.coresThreads": "{n} 個線程",
  "trace.coresProcesses": "{n} 個進程",
  "trace.coresWaiting": "大多在等待：兩者都沒有佔滿一個核心",
  "trace.coresEqual": "兩種方式佔用的核心數差不多",
  "trace.coresProcessesMore": "進程佔用的核心數是線程的 {r} 倍",
  "trace.coresThreadsMore": "線程佔用的核心數是進程的 {r} 倍",
  "trace.coresNote": "佔用核心數 = 用掉的 CPU 秒數 ÷ 從第一個開始到最後一個結束的時間。只計算自行結束的線程與子進程。"
};
