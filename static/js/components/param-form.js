// components/param-form.js: a parameter form generated from a scenario's JSON schema
// (params.properties): numbers with their bounds, checkboxes, selects; server errors per field.

import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";

/**
 * @typedef {object} ParamForm
 * @property {HTMLElement} el
 * @property {() => Record<string, any>} values the form's values, typed per the schema
 * @property {(values: Record<string, any>) => void} setValues fill fields (others keep theirs)
 * @property {(detail: any[]) => string[]} showErrors put 422 messages next to fields; returns the rest
 * @property {() => void} clearErrors
 */

/**
 * Resolve $ref and Optional (anyOf with null) to the schema that describes the field.
 * @param {any} prop
 * @param {any} root
 * @returns {any}
 */
function resolve(prop, root) {
  let p = prop;
  if (p.$ref) p = { ...root.$defs?.[p.$ref.split("/").pop()], ...p, $ref: undefined };
  if (p.anyOf) {
    const inner = p.anyOf.find((/** @type {any} */ s) => s.type !== "null") ?? {};
    p = { ...resolve(inner, root), ...p, anyOf: undefined };
  }
  if (p.allOf?.length === 1) p = { ...resolve(p.allOf[0], root), ...p, allOf: undefined };
  return p;
}

/** @param {any} p @returns {string} e.g. "1 – 16", "≥ 0", "" */
function boundText(p) {
  const lo = p.minimum ?? (p.exclusiveMinimum !== undefined ? `> ${fmtInt(p.exclusiveMinimum)}` : undefined);
  const hi = p.maximum ?? (p.exclusiveMaximum !== undefined ? `< ${fmtInt(p.exclusiveMaximum)}` : undefined);
  if (typeof lo === "number" && typeof hi === "number") return `${fmtInt(lo)} – ${fmtInt(hi)}`;
  if (lo !== undefined) return typeof lo === "number" ? `≥ ${fmtInt(lo)}` : lo;
  if (hi !== undefined) return typeof hi === "number" ? `≤ ${fmtInt(hi)}` : hi;
  return "";
}

/**
 * Build the form fields for a JSON schema.
 * @param {any} schema the scenario's `params`
 * @param {Record<string, any>} defaults
 * @returns {ParamForm}
 */
export function buildParamForm(schema, defaults) {
  const props = schema?.properties ?? {};
  /** @type {Map<string, {input: HTMLInputElement|HTMLSelectElement, prop: any, error: HTMLElement}>} */
  const fields = new Map();
  const el = h("div", { class: "param-fields" });
  for (const [name, raw] of Object.entries(props)) {
    const prop = resolve(raw, schema);
    const id = `param-${name}`;
    const error = h("div", { class: "field-error", role: "alert", hidden: true });
    const title = prop.title ?? name;
    const help = prop.description ? h("div", { class: "field-help", text: prop.description }) : null;
    /** @type {HTMLInputElement|HTMLSelectElement} */
    let input;
    let row;
    if (prop.enum) {
      input = h("select", { id, name }, ...prop.enum.map((/** @type {any} */ v) => h("option", { value: String(v), text: String(v) })));
      row = h("div", { class: "field" }, h("label", { for: id }, title, " ", h("code", { text: name })), input, help, error);
    } else if (prop.type === "boolean") {
      input = h("input", { id, name, type: "checkbox", class: "switch" });
      row = h("div", { class: "field field-check" },
        h("label", { for: id, class: "check" }, input, h("span", {}, title, " ", h("code", { text: name }))), help, error);
    } else if (prop.type === "integer" || prop.type === "number") {
      input = h("input", {
        id, name, type: "number", inputmode: prop.type === "integer" ? "numeric" : "decimal",
        min: prop.minimum, max: prop.maximum, step: prop.type === "integer" ? "1" : "any",
        "aria-describedby": `${id}-bound`,
      });
      row = h("div", { class: "field" }, h("label", { for: id }, title, " ", h("code", { text: name })),
        h("div", { class: "field-input" }, input,
          h("span", { class: "bound", id: `${id}-bound`, text: boundText(prop) }), help), error);
    } else {
      input = h("input", { id, name, type: "text" });
      row = h("div", { class: "field" }, h("label", { for: id }, title, " ", h("code", { text: name })), input, help, error);
    }
    row.dataset.field = name;
    fields.set(name, { input, prop, error });
    el.append(row);
  }

  /** @param {Record<string, any>} values */
  function setValues(values) {
    for (const [name, v] of Object.entries(values ?? {})) {
      const f = fields.get(name);
      if (!f) continue;
      if (f.input instanceof HTMLInputElement && f.input.type === "checkbox") f.input.checked = Boolean(v);
      else f.input.value = v === null || v === undefined ? "" : String(v);
    }
  }

  function values() {
    /** @type {Record<string, any>} */
    const out = {};
    for (const [name, { input, prop }] of fields) {
      if (input instanceof HTMLInputElement && input.type === "checkbox") out[name] = input.checked;
      else if (input.value === "") continue; // let the server apply its default
      else if (prop.type === "integer" || prop.type === "number") out[name] = Number(input.value);
      else if (prop.enum) out[name] = prop.enum.find((/** @type {any} */ v) => String(v) === input.value) ?? input.value;
      else out[name] = input.value;
    }
    return out;
  }

  function clearErrors() {
    for (const f of fields.values()) {
      f.error.hidden = true;
      f.input.removeAttribute("aria-invalid");
    }
  }

  /** @param {any[]} detail */
  function showErrors(detail) {
    clearErrors();
    const rest = [];
    for (const item of Array.isArray(detail) ? detail : [detail]) {
      const loc = Array.isArray(item?.loc) ? item.loc : [];
      const f = fields.get(String(loc[loc.length - 1]));
      const msg = item?.msg ?? String(item);
      if (!f) {
        rest.push(loc.length ? `${loc.join(".")}: ${msg}` : msg);
        continue;
      }
      replace(f.error, msg);
      f.error.hidden = false;
      f.input.setAttribute("aria-invalid", "true");
    }
    return rest;
  }

  setValues(Object.fromEntries(Object.entries(props).map(([k, p]) => [k, resolve(p, schema).default])));
  setValues(defaults);
  return { el, values, setValues, showErrors, clearErrors };
}
