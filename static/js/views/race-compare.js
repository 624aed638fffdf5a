// views/race-compare.js: under the race panel, the same race without and with the Lock, side by side:
// the latest finished race with the other setting (same workers and increments), or a button that
// runs it. Both figures come from runs the server recorded, each folded from its own event stream.
// With both runs there, a link opens them side by side on one time axis (/compare?a=WITHOUT&b=WITH).
// Test hooks on the box: data-without-lost, data-with-lost ("" when that side has no run yet).

import { createRun, listRuns } from "../api.js";
import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";
import { onLang, t } from "../i18n.js";

/**
 * @param {HTMLElement} parent
 * @returns {{update(runId: string, params: Record<string, any>, result: any, startMethod: string): void, reset(): void, destroy(): void}}
 */
export function createCompare(parent) {
  const box = h("div", { class: "race-versus", dataset: { withoutLost: "", withLost: "" } });
  box.hidden = true;
  parent.append(box);
  let shownFor = "";
  /** @type {{without: any, withLock: any, locked: boolean, other: any, params: Record<string, any>, startMethod: string}|null} */
  let shown = null;
  /** @type {string} the error of a failed "Run it" (kept across a language switch) */
  let failed = "";
  const off = onLang(() => draw());

  /** @param {any} run @param {boolean} locked @param {boolean} current */
  function side(run, locked, current) {
    const title = t(locked ? "vs.with" : "vs.without");
    if (!run) return h("div", { class: "vs-side empty" }, h("div", { class: "vs-title", text: title }), h("div", { class: "vs-none", text: t("vs.notYet") }));
    const lost = run.result.lost;
    return h("div", { class: `vs-side ${lost > 0 ? "bad" : "good"}${current ? " current" : ""}` },
      h("div", { class: "vs-title", text: title }),
      h("div", { class: "vs-lost mono", text: lost > 0 ? t("vs.lost", { n: fmtInt(lost) }) : t("vs.lostNone") }),
      h("div", { class: "vs-of" }, t("vs.of", { n: fmtInt(run.result.expected) }),
        current ? t("vs.this") : h("a", { href: `/runs/${run.id}`, text: t("run.id", { id: run.id }) })));
  }

  /** (Re)build the box from what update() found, in the current language. */
  function draw() {
    if (!shown) return;
    const { without, withLock, locked, other, params, startMethod } = shown;
    const children = [side(without, false, !locked), h("div", { class: "vs-vs", text: "vs" }), side(withLock, true, locked)];
    if (!other) {
      const btn = h("button", { class: "btn", type: "button", text: failed ? t("run.startFailed", { error: failed }) : t(locked ? "vs.runWithout" : "vs.runWith") });
      btn.addEventListener("click", async () => {
        btn.disabled = true;
        try {
          const run = await createRun({ scenario: "race", params: { ...params, use_lock: !locked }, start_method: startMethod });
          const link = h("a", { href: `/runs/${run.id}` });
          box.append(link);
          link.click(); // the router takes in-page links
          link.remove();
        } catch (err) {
          btn.disabled = false;
          failed = /** @type {Error} */ (err).message;
          btn.textContent = t("run.startFailed", { error: failed });
        }
      });
      children.push(h("div", { class: "vs-action" }, btn));
    } else if (without && withLock) {
      const href = `/compare?a=${encodeURIComponent(without.id)}&b=${encodeURIComponent(withLock.id)}`;
      children.push(h("div", { class: "vs-action" }, h("a", { class: "btn vs-compare", href, "data-i18n": "cmp.link", text: t("cmp.link") })));
    }
    replace(box, h("div", { class: "vs-head", text: t("vs.head") }), h("div", { class: "vs-row" }, ...children));
    box.dataset.withoutLost = without ? String(without.result.lost) : "";
    box.dataset.withLost = withLock ? String(withLock.result.lost) : "";
    box.hidden = false;
  }

  return {
    async update(runId, params, result, startMethod) {
      if (shownFor === runId || !result || typeof result.lost !== "number") return;
      shownFor = runId;
      const locked = Boolean(params.use_lock);
      const same = (/** @type {any} */ r) => r.scenario === "race" && r.status === "succeeded" && r.result &&
        r.params.workers === params.workers && r.params.increments === params.increments;
      let other = null;
      try {
        other = (await listRuns()).find((/** @type {any} */ r) => same(r) && Boolean(r.params.use_lock) !== locked) ?? null;
      } catch { /* the comparison is a bonus: without the list, show only this run */ }
      if (shownFor !== runId) return;
      const me = { id: runId, result };
      const [without, withLock] = locked ? [other, me] : [me, other];
      shown = { without, withLock, locked, other, params, startMethod };
      failed = "";
      draw();
    },
    reset() {
      shownFor = "";
      shown = null;
      box.hidden = true;
    },
    destroy() {
      off();
    },
  };
}
