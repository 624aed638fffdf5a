// i18n/catalog.js: the loader of the interface's words. They live in one file per language and area,
// i18n/<language>/<area>.js (the language's BCP 47 tag: en, zh-Hant; the areas: core, panels, trace, code),
// and are merged here into one table per language for i18n.js, which is what the code imports.
// A new area: a file in every language's folder, imported and listed below. A new language: a folder
// with every area, and its line in LANGS and AREAS (lang.js offers the choice).

import enCode from "./en/code.js";
import enCore from "./en/core.js";
import enPanels from "./en/panels.js";
import enTrace from "./en/trace.js";
import zhCode from "./zh-Hant/code.js";
import zhCore from "./zh-Hant/core.js";
import zhPanels from "./zh-Hant/panels.js";
import zhTrace from "./zh-Hant/trace.js";

/** lang.js's language ids, each with the BCP 47 tag its folder is named after (and lang attributes use). */
export const LANGS = { en: "en", zh: "zh-Hant" };

/** @type {Record<keyof typeof LANGS, Record<string, string>[]>} each language's areas */
const AREAS = {
  en: [enCore, enPanels, enTrace, enCode],
  zh: [zhCore, zhPanels, zhTrace, zhCode],
};

/** @type {Record<keyof typeof LANGS, Record<string, string>>} every string of each language */
export const TABLES = { en: Object.assign({}, ...AREAS.en), zh: Object.assign({}, ...AREAS.zh) };
