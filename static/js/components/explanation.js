// components/explanation.js: a scenario's explanation with an English / 中文 toggle.

import { h, replace } from "../dom.js";
import { t } from "../i18n.js";
import { getLang, onLang, setLang } from "../lang.js";

export class Explanation {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Record<string, string>} */
    this.texts = {};
    this.en = this.langButton("en", "English");
    this.zh = this.langButton("zh", "中文");
    this.body = h("p", { class: "explain-text" });
    root.replaceChildren(
      h("div", { class: "explain-head" }, h("h3", { "data-i18n": "explain.h", text: t("explain.h") }),
        h("div", { class: "seg", role: "group", "aria-label": t("explain.group"), "data-i18n-aria-label": "explain.group" }, this.en, this.zh)),
      this.body,
    );
    onLang(() => this.render());
  }

  /** @param {"en"|"zh"} lang @param {string} label */
  langButton(lang, label) {
    return h("button", { type: "button", class: "seg-btn", lang: lang === "zh" ? "zh-Hant" : "en", on: { click: () => setLang(lang) } }, label);
  }

  /** @param {Record<string, string>|undefined} texts {"en": ..., "zh": ...} */
  show(texts) {
    this.texts = texts ?? {};
    this.render();
  }

  render() {
    const lang = getLang();
    this.en.setAttribute("aria-pressed", String(lang === "en"));
    this.zh.setAttribute("aria-pressed", String(lang === "zh"));
    const text = this.texts[lang] ?? this.texts.en ?? "";
    this.body.lang = this.texts[lang] ? (lang === "zh" ? "zh-Hant" : "en") : "en";
    replace(this.body, text);
  }
}
