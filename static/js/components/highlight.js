// components/highlight.js: a small Python syntax highlighter: keywords, builtins, strings, comments,
// numbers and decorators become <span class="py-*"> nodes. Text is never parsed as HTML.

const KEYWORDS = new Set(
  ("False None True and as assert async await break class continue def del elif else except finally for " +
    "from global if import in is lambda nonlocal not or pass raise return try while with yield match case")
    .split(" "),
);
const BUILTINS = new Set(
  "print range len int str float bool list dict set tuple type isinstance super object Exception self".split(" "),
);

// strings (triple first), comments, decorators, numbers, words
const TOKEN =
  /("""[\s\S]*?"""|'''[\s\S]*?'''|[rbfu]{0,2}"(?:\\.|[^"\\\n])*"|[rbfu]{0,2}'(?:\\.|[^'\\\n])*')|(#[^\n]*)|(^[ \t]*@[\w.]+)|(\b\d[\d_]*(?:\.\d+)?\b)|([A-Za-z_]\w*)/gm;

/**
 * Highlighted Python as a DocumentFragment.
 * @param {string} source
 * @returns {DocumentFragment}
 */
export function highlightPython(source) {
  const frag = document.createDocumentFragment();
  let last = 0;
  const span = (/** @type {string} */ cls, /** @type {string} */ text) => {
    const el = document.createElement("span");
    el.className = cls;
    el.textContent = text;
    return el;
  };
  for (const m of source.matchAll(TOKEN)) {
    const [text, str, comment, deco, num, word] = m;
    let cls = "";
    if (str) cls = "py-str";
    else if (comment) cls = "py-com";
    else if (deco) cls = "py-deco";
    else if (num) cls = "py-num";
    else if (word && KEYWORDS.has(word)) cls = "py-kw";
    else if (word && BUILTINS.has(word)) cls = "py-bi";
    else if (word && source[/** @type {number} */ (m.index) + word.length] === "(" ) cls = "py-fn";
    if (!cls) continue;
    const at = /** @type {number} */ (m.index);
    if (at > last) frag.append(source.slice(last, at));
    frag.append(span(cls, text));
    last = at + text.length;
  }
  frag.append(source.slice(last));
  return frag;
}
