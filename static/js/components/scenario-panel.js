// components/scenario-panel.js: one scenario: title, concepts, explanation, presets, the parameter
// form, the start method and the Run button (POST /api/runs).

import { ApiError, createRun, serverInfo } from "../api.js";
import { h, replace } from "../dom.js";
import { ownWords, t, titleOf } from "../i18n.js";
import { Explanation } from "./explanation.js";
import { buildParamForm } from "./param-form.js";

const START_METHODS = ["forkserver", "spawn", "fork"]; // until the server says what its OS offers
const OS_NAMES = { linux: "Linux", darwin: "macOS", win32: "Windows" };

export class ScenarioPanel {
  /**
   * @param {HTMLElement} root
   * @param {(run: any) => void} onStarted called with the run object after 201
   */
  constructor(root, onStarted) {
    this.root = root;
    this.onStarted = onStarted;
    /** @type {Map<string, {params: Record<string, any>, method: string}>} last values per scenario */
    this.remembered = new Map();
    this.title = h("h2", { class: "scn-title" });
    this.concepts = h("ul", { class: "chips", "aria-label": t("scn.concepts"), "data-i18n-aria-label": "scn.concepts" });
    this.explanation = new Explanation(h("section", { class: "card explain" }));
    this.formBox = h("div");
    this.error = h("p", { class: "rh-message", role: "alert", hidden: true });
    this.grid = h("div", { class: "scn-grid" }, this.explanation.root, this.formBox);
    root.replaceChildren(h("header", { class: "scn-head" }, this.title, this.concepts), this.error, this.grid);
  }

  /** @param {string} message shown instead of the scenario (unknown id, server down) */
  fail(message) {
    replace(this.title, t("scn.unavailable"));
    replace(this.concepts);
    replace(this.error, message);
    this.error.hidden = false;
    this.grid.hidden = true;
  }

  /** @param {any} scenario the scenario object */
  show(scenario) {
    this.scenario = scenario;
    this.error.hidden = true;
    this.grid.hidden = false;
    replace(this.title, h("span", { text: titleOf(scenario), ...ownWords(scenario.titles) }));
    replace(this.concepts, ...(scenario.concepts ?? []).map((/** @type {string} */ c) => h("li", { class: "chip", text: c })));
    this.explanation.show(scenario.explanation);
    this.buildForm(scenario);
  }

  /** @param {any} scenario */
  buildForm(scenario) {
    const form = buildParamForm(scenario.params, scenario.defaults ?? {});
    const method = h("select", { id: "start-method", name: "start_method" },
      ...START_METHODS.map((m) => h("option", { value: m, text: m })));
    const methodDefault = h("div", { class: "field-help method-default", hidden: true });
    const memory = this.remembered.get(scenario.id);
    if (memory) {
      form.setValues(memory.params);
      /** @type {HTMLSelectElement} */ (method).value = memory.method;
    }
    serverInfo().then((info) => {
      const offered = Array.isArray(info.start_methods) ? info.start_methods : START_METHODS;
      const chosen = memory?.method ?? info.default_start_method;
      replace(method, ...offered.map((/** @type {string} */ m) => h("option", { value: m, text: m })));
      if (offered.includes(chosen)) /** @type {HTMLSelectElement} */ (method).value = chosen;
      const vars = { python: info.python, os: OS_NAMES[info.os] ?? info.os, method: info.python_default_start_method };
      methodDefault.dataset.i18n = "form.methodDefault";
      methodDefault.dataset.i18nVars = JSON.stringify(vars);
      replace(methodDefault, t("form.methodDefault", vars));
      methodDefault.hidden = false;
    }, () => {});
    const presetNames = Object.keys(scenario.presets ?? {});
    const presetButtons = presetNames.map((name) =>
      h("button", {
        type: "button", class: "preset", "aria-pressed": "false", dataset: { preset: name },
        on: {
          click: (ev) => {
            form.setValues(scenario.presets[name]);
            form.clearErrors();
            for (const b of presetButtons) b.setAttribute("aria-pressed", String(b === ev.currentTarget));
          },
        },
      }, name),
    );
    const formError = h("div", { class: "form-error", role: "alert", hidden: true });
    const runBtn = h("button", { type: "submit", class: "btn-run", "data-i18n": "form.run" }, t("form.run"));
    const el = h("form", { class: "card run-form", novalidate: true, "aria-label": t("form.label"), "data-i18n-aria-label": "form.label" },
      h("h3", { "data-i18n": "form.h", text: t("form.h") }),
      presetButtons.length ? h("div", { class: "presets" }, h("span", { class: "presets-label", "data-i18n": "form.presets", text: t("form.presets") }), ...presetButtons) : null,
      form.el,
      h("div", { class: "field" }, h("label", { for: "start-method" }, h("span", { "data-i18n": "form.method", text: t("form.method") }), " ", h("code", { text: "start_method" })),
        method, h("div", { class: "field-help", "data-i18n": "form.methodHelp", text: t("form.methodHelp") }), methodDefault),
      formError,
      h("div", { class: "form-actions" }, runBtn),
    );
    el.addEventListener("input", () => {
      for (const b of presetButtons) b.setAttribute("aria-pressed", "false");
    });
    el.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      form.clearErrors();
      formError.hidden = true;
      runBtn.setAttribute("disabled", "");
      const params = form.values();
      const start_method = /** @type {HTMLSelectElement} */ (method).value;
      this.remembered.set(scenario.id, { params, method: start_method });
      try {
        const run = await createRun({ scenario: scenario.id, params, start_method });
        this.onStarted(run);
      } catch (err) {
        let messages = [err instanceof Error ? err.message : String(err)];
        if (err instanceof ApiError && err.status === 422 && Array.isArray(err.detail)) messages = form.showErrors(err.detail);
        else if (err instanceof ApiError && err.status === 429) messages = [t("form.tooMany", { error: err.message })];
        if (messages.length) {
          replace(formError, ...messages.map((m) => h("div", { text: m })));
          formError.hidden = false;
        }
      } finally {
        runBtn.removeAttribute("disabled");
      }
    });
    this.formBox.replaceChildren(el);
  }
}
