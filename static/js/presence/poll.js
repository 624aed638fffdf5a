// presence/poll.js: the "predict the result" poll. PresenterPoll asks a question (a number, or one of
// a few choices), shows the answers tallied live, closes the poll and shows the right answer beside
// the tally (prefilled from the current run's result). AudiencePoll shows the question, sends this
// browser's answer (a later one replaces it) and, once closed, the tally with its own answer marked.
// Both rebuild their form only when the poll changes (id, open), so a field being typed in survives
// the frames that update the tally.
// Test hooks: .poll[data-poll] (id, "" for none) [data-open], .poll-count, the form's fields by name.

import { announce } from "../announce.js";
import { ApiError } from "../api.js";
import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";
import { t, translate } from "../i18n.js";
import { closePoll, openPoll, sendAnswer } from "./link.js";
import { renderTally } from "./tally.js";

/** @param {unknown} err @returns {string} */
function why(err) {
  if (err instanceof ApiError && Array.isArray(err.detail))
    return err.detail.map((/** @type {any} */ d) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return err instanceof Error ? err.message : String(err);
}

/**
 * The number a run's result stands for: itself, its `actual` (race: the counter), else its first number.
 * @param {any} result
 * @returns {number|null}
 */
export function pickNumber(result) {
  if (typeof result === "number" && Number.isFinite(result)) return result;
  if (!result || typeof result !== "object") return null;
  if (typeof result.actual === "number") return result.actual;
  const first = Object.values(result).find((v) => typeof v === "number" && Number.isFinite(v));
  return first ?? null;
}

/** @param {string} key @param {Record<string, any>} [attrs] */
const button = (key, attrs = {}) => h("button", { type: "button", "data-i18n": key, text: t(key), ...attrs });

export class PresenterPoll {
  /**
   * @param {HTMLElement} root
   * @param {() => import("./link.js").Presentation|null} presentation
   * @param {() => number|null} resultHint the current run's result, a default for the right answer
   */
  constructor(root, presentation, resultHint) {
    this.root = root;
    this.presentation = presentation;
    this.resultHint = resultHint;
    /** @type {any} */
    this.poll = null;
    this.editing = false;
    this.shape = "";
    this.root.classList.add("poll");
    // The right answer's field follows the run's result (the run usually ends after the poll closed)
    // until the presenter types in it.
    window.setInterval(() => this.refreshHint(), 1000);
  }

  refreshHint() {
    const field = /** @type {HTMLInputElement|null} */ (this.root.querySelector("input[name=answer]"));
    const hint = this.resultHint();
    if (field && !field.dataset.edited && document.activeElement !== field && hint !== null) field.value = String(hint);
  }

  /** Open the question form. */
  ask() {
    this.editing = true;
    this.render(this.poll);
  }

  /** @param {any} poll the poll of the newest frame (with its live tally), or null */
  render(poll) {
    this.poll = poll;
    const shape = this.editing ? "edit" : poll ? `${poll.id}/${poll.open}/${poll.answer}` : "none";
    this.root.hidden = shape === "none";
    this.root.dataset.poll = poll && !this.editing ? String(poll.id) : "";
    this.root.dataset.open = String(Boolean(poll?.open && !this.editing));
    if (shape !== this.shape) {
      this.shape = shape;
      if (this.editing) replace(this.root, this.form());
      else if (poll) replace(this.root, ...this.live(poll));
      translate(this.root);
    }
    const slot = this.root.querySelector(".poll-tally");
    if (slot && poll && !this.editing) replace(slot, renderTally(poll));
  }

  form() {
    const question = h("input", { name: "question", class: "poll-question-input", maxlength: "200", value: t("poll.defaultQuestion"), "aria-label": t("poll.question") });
    const kind = h("select", { name: "kind", "aria-label": t("poll.kind") },
      h("option", { value: "number", text: t("poll.kindNumber") }), h("option", { value: "choice", text: t("poll.kindChoice") }));
    const choices = h("input", { name: "choices", class: "poll-choices-input", hidden: true, placeholder: t("poll.choicesHint"), "aria-label": t("poll.choices") });
    const error = h("p", { class: "poll-error", role: "alert", hidden: true });
    kind.addEventListener("change", () => (choices.hidden = kind.value !== "choice"));
    const form = h("form", { class: "poll-form" },
      h("span", { class: "poll-tag", "data-i18n": "poll.tag" }), question, kind, choices,
      h("button", { type: "submit", class: "presence-go poll-ask", "data-i18n": "poll.ask" }),
      button("poll.cancel", { class: "btn-secondary", on: { click: () => ((this.editing = false), this.render(this.poll)) } }),
      error);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const p = this.presentation();
      if (!p) return;
      const list = kind.value === "choice" ? choices.value.split(/[|,\n]/).map((c) => c.trim()).filter(Boolean) : [];
      try {
        const poll = await openPoll(p, { question: question.value.trim(), kind: kind.value, choices: list });
        this.editing = false;
        this.render(poll);
      } catch (err) {
        error.textContent = why(err);
        error.hidden = false;
      }
    });
    queueMicrotask(() => question.focus());
    return form;
  }

  /** @param {any} poll */
  live(poll) {
    const head = h("div", { class: "poll-head" },
      h("span", { class: "poll-tag", "data-i18n": poll.open ? "poll.tagOpen" : "poll.tagClosed" }),
      h("span", { class: "poll-question", text: poll.question }));
    const actions = h("div", { class: "poll-actions" });
    if (poll.open) actions.append(button("poll.close", { class: "poll-close", on: { click: () => this.close(null) } }));
    else {
      const hint = poll.answer ?? this.resultHint();
      const answer = poll.kind === "choice"
        ? h("select", { name: "answer", "aria-label": t("poll.rightAnswer") },
            ...poll.choices.map((/** @type {string} */ c, /** @type {number} */ i) => h("option", { value: String(i), text: c, selected: i === hint })))
        : h("input", { name: "answer", type: "number", step: "any", class: "poll-answer-input", value: hint === null ? "" : String(hint), "aria-label": t("poll.rightAnswer"),
            on: { input: (/** @type {Event} */ ev) => (/** @type {HTMLElement} */ (ev.target).dataset.edited = "true") } });
      actions.append(
        h("label", { class: "poll-reveal" }, h("span", { "data-i18n": "poll.rightAnswer" }), answer,
          button("poll.show", { class: "poll-show", on: { click: () => answer.value !== "" && this.close(Number(answer.value)) } })),
        button("poll.new", { class: "btn-secondary", on: { click: () => this.ask() } }));
    }
    return [head, h("div", { class: "poll-tally" }), actions];
  }

  /** @param {number|null} answer */
  async close(answer) {
    const p = this.presentation();
    if (!p) return;
    try {
      this.render(await closePoll(p, answer));
    } catch {
      // the next frame shows the poll as it is
    }
  }
}

export class AudiencePoll {
  /** @param {HTMLElement} root @param {string} code */
  constructor(root, code) {
    this.root = root;
    this.code = code;
    this.shape = "";
    /** @type {Map<number, number>} poll id -> the answer this browser sent */
    this.sent = new Map();
    /** the reader closed this (closed) poll's card: hidden until the next change */
    this.dismissed = false;
    this.root.classList.add("poll", "poll-audience");
  }

  /** @param {any} poll the poll of the newest frame (its tally only once closed), or null */
  render(poll) {
    const shape = poll ? `${poll.id}/${poll.open}/${poll.answer}` : "none";
    this.root.hidden = !poll;
    this.root.dataset.poll = poll ? String(poll.id) : "";
    this.root.dataset.open = String(Boolean(poll?.open));
    if (!poll) return;
    if (shape !== this.shape) {
      this.shape = shape;
      this.dismissed = false;
      announce(t(poll.open ? "poll.saidOpen" : "poll.saidClosed", { question: poll.question })); // a screen reader hears it
      const hide = () => {
        this.dismissed = true;
        /** @type {HTMLElement} */ (this.root.parentElement).hidden = true;
      };
      const head = h("div", { class: "poll-head" },
        h("span", { class: "poll-tag", "data-i18n": poll.open ? "poll.tagOpen" : "poll.tagClosed" }),
        h("span", { class: "poll-question", text: poll.question }),
        poll.open ? null : h("button", { type: "button", class: "btn-icon poll-dismiss", "data-i18n": "poll.dismiss", on: { click: hide } }));
      replace(this.root, head, poll.open ? this.form(poll) : h("div", { class: "poll-tally" }));
      translate(this.root);
    }
    const slot = this.root.querySelector(".poll-tally");
    if (slot && poll.tally) replace(slot, renderTally(poll, this.sent.get(poll.id) ?? null));
    const count = this.root.querySelector(".poll-count");
    if (count) count.textContent = t("poll.answers", { n: fmtInt(poll.count) });
  }

  /** @param {any} poll */
  form(poll) {
    const status = h("p", { class: "poll-status", role: "status" });
    const send = async (/** @type {number} */ value) => {
      try {
        await sendAnswer(this.code, poll.id, value);
        this.sent.set(poll.id, value);
        status.textContent = t("poll.sent", { v: poll.kind === "choice" ? poll.choices[value] : String(value) });
        status.dataset.sent = String(value);
      } catch (err) {
        status.textContent = why(err);
      }
    };
    let field;
    if (poll.kind === "choice") {
      field = h("div", { class: "poll-choices", role: "group" },
        ...poll.choices.map((/** @type {string} */ c, /** @type {number} */ i) => h("button", { type: "button", class: "poll-choice", dataset: { choice: String(i) }, text: c, on: { click: () => send(i) } })));
    } else {
      const input = h("input", { name: "answer", type: "number", step: "any", inputmode: "decimal", class: "poll-answer-input", "aria-label": t("poll.yourAnswer") });
      field = h("form", { class: "poll-form" }, input, h("button", { type: "submit", class: "presence-go poll-send", "data-i18n": "poll.send" }));
      field.addEventListener("submit", (ev) => {
        ev.preventDefault();
        if (input.value.trim() !== "" && Number.isFinite(Number(input.value))) send(Number(input.value));
      });
    }
    return h("div", { class: "poll-body" }, field, h("span", { class: "poll-count" }), status);
  }
}
