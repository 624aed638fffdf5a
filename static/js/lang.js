// lang.js: the explanation language (English or Traditional Chinese), remembered in localStorage.

const KEY = "mpscope.lang";
const EVENT = "mp:lang";

/** @typedef {"en"|"zh"} Lang */

/** @returns {Lang} the remembered language, English by default */
export function getLang() {
  try {
    return localStorage.getItem(KEY) === "zh" ? "zh" : "en";
  } catch {
    return "en";
  }
}

/**
 * Remember a language and tell every listener.
 * @param {Lang} lang
 */
export function setLang(lang) {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.dispatchEvent(new CustomEvent(EVENT, { detail: lang }));
}

/**
 * Call `fn` whenever the language changes.
 * @param {(lang: Lang) => void} fn
 * @returns {() => void} stops calling it (for a widget that goes away, e.g. a state view)
 */
export function onLang(fn) {
  const listener = (/** @type {Event} */ ev) => fn(/** @type {CustomEvent} */ (ev).detail);
  document.addEventListener(EVENT, listener);
  return () => document.removeEventListener(EVENT, listener);
}
