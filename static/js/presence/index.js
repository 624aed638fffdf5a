// presence/index.js: presenter follow on a page (the dashboard, the compare page). In the header:
// "Present" and "Join" while this tab does neither; "Presenting CODE" (opens the join screen) while it
// presents; "Following CODE" with a Leave button while it follows. Which one lasts across page loads
// (presence/link.js); /join/{code} (<body data-follow>) starts following.
// Test hooks: #present-start, #join-open, #join-dialog (input name=code), .follow-badge, #follow-leave.

import { ApiError } from "../api.js";
import { h, replace } from "../dom.js";
import { t, translate } from "../i18n.js";
import { Follower } from "./follow.js";
import { following, followState, presenting, setFollowing, setPresenting, startPresenting } from "./link.js";
import { Presenter } from "./present.js";

/**
 * What presenter follow needs of a page.
 * @typedef {object} PageAdapter
 * @property {() => string} path   the page's path as a view has it ("/runs/ID", "/compare?a=A&b=B")
 * @property {(path: string) => void} go   show a presenter's path (in the page, or by loading another)
 * @property {import("../timeline/timeline.js").MpTimeline[]} timelines  the first one's window is pushed
 * @property {import("../components/replay-bar.js").ReplayBar} [replay]
 * @property {() => any} [result]   the current run's result: the poll's right answer is taken from it
 */

/**
 * @param {PageAdapter} page
 * @returns {{changed: () => void}} call changed() when the page's path changes
 */
export function initPresence(page) {
  const controls = document.getElementById("presence-controls");
  const card = document.getElementById("presence");
  if (!controls || !card) return { changed: () => {} };
  /** @type {Presenter|null} */
  let presenter = null;
  /** @type {HTMLDialogElement|null} made on first use: most pages never need it */
  let joinDialog = null;

  const idle = () => {
    presenter = null;
    replace(controls,
      h("button", { id: "present-start", type: "button", class: "topbar-btn", "data-i18n": "present.start", "data-i18n-title": "present.startTitle", on: { click: start } }),
      h("button", { id: "join-open", type: "button", class: "topbar-btn", "data-i18n": "follow.join", "data-i18n-title": "follow.joinTitle", on: { click: () => (joinDialog ??= makeJoinDialog()).showModal() } }));
    translate(controls);
  };

  const present = (/** @type {import("./link.js").Presentation} */ p) => {
    presenter = new Presenter(p, page, { card, onEnd: idle });
    const chip = h("button", { type: "button", class: "topbar-btn presenting-chip", "aria-pressed": "true", title: t("present.chipTitle"), "data-i18n-title": "present.chipTitle", on: { click: () => presenter?.toggleCard() } },
      h("span", { "data-i18n": "present.presenting" }), " ", h("b", { class: "mono", text: p.code }));
    replace(controls, chip);
    translate(controls);
  };

  async function start() {
    try {
      const p = await startPresenting();
      setPresenting(p);
      present(p);
      presenter?.showScreen();
    } catch (err) {
      window.alert(t("present.failed", { error: err instanceof Error ? err.message : String(err) }));
    }
  }

  const follow = (/** @type {string} */ code) => {
    new Follower(code, page, { card, onEnd: idle });
    const badge = h("span", { class: "follow-badge", role: "status" },
      h("span", { "data-i18n": "follow.following" }), " ", h("b", { class: "mono", text: code }),
      h("span", { class: "follow-ro", "data-i18n": "follow.readOnly" }));
    const leave = h("button", { id: "follow-leave", type: "button", class: "topbar-btn", "data-i18n": "follow.leave" });
    replace(controls, badge, leave);
    translate(controls);
    leave.addEventListener("click", () => {
      setFollowing("");
      location.reload(); // the page as this reader's own again, every control back
    });
  };

  const joined = document.body.dataset.follow ?? "";
  if (joined) {
    setFollowing(joined);
    if (location.pathname.startsWith("/join/")) history.replaceState(null, "", "/");
  }
  const stored = presenting();
  if (following()) follow(following());
  else if (stored) present(stored);
  else idle();
  return { changed: () => presenter?.changed() };
}

/** The audience's way in without the QR code: type the code. */
function makeJoinDialog() {
  const input = h("input", { name: "code", class: "join-code-input mono", maxlength: "6", autocomplete: "off", spellcheck: "false", "aria-label": t("follow.code") });
  const error = h("p", { class: "poll-error", role: "alert", hidden: true });
  const form = h("form", { class: "join-form" },
    h("label", { class: "join-label" }, h("span", { "data-i18n": "follow.code" }), input),
    h("button", { type: "submit", class: "presence-go join-submit", "data-i18n": "follow.join" }),
    h("button", { type: "button", class: "btn-secondary", "data-i18n": "poll.cancel", on: { click: () => dialog.close() } }),
    error);
  const dialog = h("dialog", { id: "join-dialog", class: "help-dialog join-dialog", "aria-labelledby": "join-dialog-h" },
    h("h2", { id: "join-dialog-h", "data-i18n": "follow.joinH" }), form);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = input.value.trim().toUpperCase();
    try {
      await followState(code);
      location.assign(`/join/${encodeURIComponent(code)}`);
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 404 ? t("follow.unknown", { code }) : String(err);
      error.hidden = false;
    }
  });
  document.body.append(dialog);
  translate(dialog);
  return dialog;
}
