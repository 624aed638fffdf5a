// i18n/zh-Hant/code.js: in Traditional Chinese, the words of Edit and run (code/: the editor page, the
// console, the compare page's source diff).
//
// Loaded, with the other areas and languages, by i18n/catalog.js; the code reads them through i18n.js.
// Plain data, checked by tests/web/test_translations.py: `export default` one JSON object (double-quoted
// keys and strings, no comments inside, no trailing comma). Every key is in each language's file of
// the area, and each language's string has the same {names} (filled from t()'s vars).

export default {
  "code.newLink": "＋ 新程式",
  "code.editAndRun": "✎ 編輯並執行",
  "code.editNote": "在這裡修改程式並執行，全程追蹤。",
  "code.newTitle": "新程式",
  "code.editTitle": "編輯並執行：{title}",
  "code.runTitle": "再執行一次：{title}（執行 {id}）",
  "code.loading": "載入中…",
  "code.missing": "沒有這個課程或執行。",
  "code.loadFailed": "無法載入程式：{error}",
  "code.method": "啟動方式",
  "code.methodDefault": "{method}（預設）",
  "code.run": "▶ 執行",
  "code.kbdTitle": "在編輯器中執行：Ctrl+Enter（Mac 上為 Cmd+Enter）。先按 Esc 再按 Tab 可離開編輯器。",
  "code.editorLabel": "Python 程式",
  "code.off": "此伺服器已關閉程式執行：{why}",
  "code.notPresenter": "只有主講者能在這裡執行程式（{why}）。您可以閱讀程式碼。",
  "code.networkOpen": "此處沒有網路隔離：從本頁執行的程式可以連上網路。{note}",
  "code.refused": "未啟動：{error}",
  "code.console": "主控台",
  "code.stdout": "輸出",
  "code.stderr": "錯誤（有標記、斜體）",
  "code.noOutput": "尚無輸出。",
  "code.error": "錯誤：{error}",
  "code.syntaxError": "語法錯誤，沒有執行任何程式：{error}",
  "code.atLine": "跳到第 {line} 行",
  "code.diffH": "程式改了什麼",
  "code.diffSummary": "新增 {added} 行，刪除 {removed} 行",
  "code.diffSame": "兩個程式完全相同。",
  "code.diffSkip": "…… {n} 行未變更 ……",
  "code.diffAdded": "新增",
  "code.diffRemoved": "刪除"
};
