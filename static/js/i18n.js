// i18n.js: the interface's words in English and Traditional Chinese, and what the code uses of them:
// t(), statusWord(), translate(), initI18n(). The language is lang.js's (one choice for the
// explanations and the interface, remembered in localStorage). The words themselves are data, one file
// per language and area under i18n/ (i18n/en/core.js, i18n/zh-Hant/panels.js, …), which
// i18n/catalog.js loads; tests/test_translations.py checks that the languages have the same keys.
//
// Adding a string: put the key in its area's file of every language (zh falls back to en), then either
// - static text: give the element data-i18n="key" (text), data-i18n-title / data-i18n-aria-label (attributes);
//   translate() fills them on boot and on every switch, in templates and in widgets alike;
// - text that depends on state: call t("key", {name: value}) in the widget's render() and re-render on onLang().
// "{name}" in a string is replaced by vars.name. Numbers, units and parameter names stay as they are.

import { LANGS, TABLES } from "./i18n/catalog.js";
import { getLang, onLang, setLang } from "./lang.js";

export { getLang, onLang, setLang };

/**
 * Every string of one language (every area), for tests and tools.
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

/**
 * A lesson's title in the current language: the API gives it in both (`titles`), else its English `title`.
 * @param {{id?: string, title?: string, titles?: Record<string, string>}|null|undefined} scenario
 * @returns {string}
 */
export function titleOf(scenario) {
  return scenario?.titles?.[getLang()] || scenario?.title || scenario?.id || "";
}

/**
 * Words that come in every language with their data (a lesson's title): a text node's hooks for
 * translate(), which picks the current language's on every switch.
 * @param {Record<string, string>|undefined} texts e.g. {en: "...", zh: "..."}
 * @returns {Record<string, string>} attributes for dom.js h()
 */
export function ownWords(texts) {
  return texts ? { "data-i18n-own": JSON.stringify(texts) } : {};
}

/** @returns {string} the BCP 47 tag of the current language, for lang attributes */
export function langTag() {
  return LANGS[getLang()];
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
  for (const el of root.querySelectorAll("[data-i18n], [data-i18n-title], [data-i18n-aria-label], [data-i18n-own]")) {
    const hooks = /** @type {HTMLElement} */ (el).dataset;
    if (hooks.i18nOwn) el.textContent = titleOf({ titles: JSON.parse(hooks.i18nOwn) }); // see ownWords()
    // data-i18n-vars: the {placeholders} of a text that carries values (JSON), kept for every switch
    if (hooks.i18n) el.textContent = t(hooks.i18n, hooks.i18nVars ? JSON.parse(hooks.i18nVars) : undefined);
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
