// i18n/en/code.js: in English, the words of Edit and run (code/: the editor page, the console, the
// compare page's source diff).
//
// Loaded, with the other areas and languages, by i18n/catalog.js; the code reads them through i18n.js.
// Plain data, checked by tests/web/test_translations.py: `export default` one JSON object (double-quoted
// keys and strings, no comments inside, no trailing comma). Every key is in each language's file of
// the area, and each language's string has the same {names} (filled from t()'s vars).

export default {
  "code.newLink": "＋ New program",
  "code.editAndRun": "✎ Edit and run",
  "code.editNote": "Change the program and run it, traced, right here.",
  "code.newTitle": "New program",
  "code.editTitle": "Edit and run: {title}",
  "code.runTitle": "Run again: {title} (run {id})",
  "code.loading": "Loading…",
  "code.missing": "There is no such lesson or run.",
  "code.loadFailed": "Could not load the program: {error}",
  "code.method": "Start method",
  "code.methodDefault": "{method} (default)",
  "code.run": "▶ Run",
  "code.kbdTitle": "Run from the editor: Ctrl+Enter (Cmd+Enter on a Mac). Esc, then Tab, leaves the editor.",
  "code.editorLabel": "Python program",
  "code.off": "Code runs are off on this server: {why}",
  "code.notPresenter": "Only the presenter can run code here ({why}). You can read the program.",
  "code.networkOpen": "No network isolation here: a program run from this page can reach the network. {note}",
  "code.refused": "Not started: {error}",
  "code.console": "Console",
  "code.stdout": "output",
  "code.stderr": "errors (marked, italic)",
  "code.noOutput": "Nothing printed yet.",
  "code.error": "Error: {error}",
  "code.syntaxError": "Syntax error, nothing was run: {error}",
  "code.atLine": "Go to line {line}",
  "code.diffH": "What changed in the program",
  "code.diffSummary": "{added} lines added, {removed} removed",
  "code.diffSame": "The two programs are the same.",
  "code.diffSkip": "… {n} unchanged lines …",
  "code.diffAdded": "added",
  "code.diffRemoved": "removed"
};
