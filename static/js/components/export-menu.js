// components/export-menu.js: <mp-export-menu run="ID">: the run's files, as links to
// GET /api/runs/{id}/export: Perfetto JSON (ui.perfetto.dev, chrome://tracing), the raw events as
// NDJSON (what `mpscope import` and POST /api/runs/import take back) and an offline HTML page that
// replays the run with no server (for slides and handouts).

import { t } from "../i18n.js";

/** [format, label key, hint key] (i18n.js) */
const FORMATS = [
  ["perfetto", "export.perfetto", "export.perfettoHint"],
  ["ndjson", "export.ndjson", "export.ndjsonHint"],
  ["html", "export.html", "export.htmlHint"],
];

export class ExportMenu extends HTMLElement {
  static observedAttributes = ["run"];

  connectedCallback() {
    if (this.firstChild) return;
    const details = document.createElement("details");
    details.className = "export-menu";
    const summary = document.createElement("summary");
    summary.className = "btn-secondary";
    summary.dataset.i18n = "export.button";
    summary.textContent = t("export.button");
    const list = document.createElement("ul");
    list.className = "export-list";
    for (const [format, label, hint] of FORMATS) {
      const a = document.createElement("a");
      a.dataset.format = format;
      Object.assign(a.dataset, { i18n: label, i18nTitle: hint });
      a.textContent = t(label);
      a.title = t(hint);
      a.setAttribute("download", "");
      const li = document.createElement("li");
      li.append(a);
      list.append(li);
    }
    details.append(summary, list);
    this.append(details);
    this.update();
  }

  attributeChangedCallback() {
    this.update();
  }

  update() {
    const run = encodeURIComponent(this.getAttribute("run") ?? "");
    for (const a of this.querySelectorAll("a[data-format]")) {
      a.setAttribute("href", `/api/runs/${run}/export?format=${/** @type {HTMLElement} */ (a).dataset.format}`);
    }
  }
}

if (!customElements.get("mp-export-menu")) customElements.define("mp-export-menu", ExportMenu);
