// presence/present.js: this tab presents. It shows the join code big, the join URL and its QR code
// (a card on the page, and a full join screen for the projector), pushes what it shows (the page, the
// replay cursor, the timeline window) at most ten times a second and only when it changed, and runs
// the poll. The presenter's stream (/ws/present/{code}) brings the follower count and the live tally.
// Test hooks: #presence[data-mode=present][data-code], .presence-followers[data-n], #join-screen.

import { h, replace } from "../dom.js";
import { fmtInt } from "../format.js";
import { onLang, t, translate } from "../i18n.js";
import { connect, pushView, setPresenting, stopPresenting } from "./link.js";
import { PresenterPoll, pickNumber } from "./poll.js";
import { qrSvg } from "./qr.js";

const PUSH_MS = 100;

/** @typedef {import("./index.js").PageAdapter} PageAdapter */

export class Presenter {
  /**
   * @param {import("./link.js").Presentation} p
   * @param {PageAdapter} page
   * @param {{card: HTMLElement, onEnd: () => void}} ui
   */
  constructor(p, page, ui) {
    this.p = p;
    this.page = page;
    this.card = ui.card;
    this.onEnd = ui.onEnd;
    this.sent = "";
    this.timer = 0;
    this.last = 0;
    this.inflight = false;
    this.again = false;
    this.followers = h("span", { class: "presence-followers", dataset: { n: "0" } });
    this.poll = new PresenterPoll(h("section", { class: "poll" }), () => this.p, () => pickNumber(page.result?.()));
    this.screen = this.joinScreen();
    this.build();
    this.socket = connect(p.code, p.key, (frame) => this.onFrame(frame), () => this.end(false));
    this.changed = this.changed.bind(this);
    const tl = page.timelines[0];
    tl?.addEventListener("mp:view", this.changed);
    page.replay?.root.addEventListener("mp:replay", this.changed);
    onLang(() => this.count(Number(this.followers.dataset.n)));
    this.changed();
  }

  build() {
    const { code, join_url: url } = this.p;
    Object.assign(this.card.dataset, { mode: "present", code });
    const qr = h("button", { type: "button", class: "presence-qr", title: t("present.screen"), "data-i18n-title": "present.screen", on: { click: () => this.showScreen() } },
      qrSvg(url, t("present.qr")));
    replace(this.card,
      h("div", { class: "presence-row" },
        qr,
        h("div", { class: "presence-join" },
          h("span", { class: "presence-label", "data-i18n": "present.joinWith" }),
          h("span", { class: "presence-code mono", text: code }),
          h("a", { class: "presence-url mono", href: url, target: "_blank", rel: "noopener", text: url }),
          this.followers),
        h("div", { class: "presence-actions" },
          h("button", { type: "button", class: "btn-secondary presence-screen", "data-i18n": "present.screen", on: { click: () => this.showScreen() } }),
          h("button", { type: "button", class: "btn-secondary presence-ask", "data-i18n": "poll.open", on: { click: () => this.poll.ask() } }),
          h("button", { type: "button", class: "btn-cancel presence-stop", "data-i18n": "present.stop", on: { click: () => this.end(true) } }),
          h("button", { type: "button", class: "btn-secondary presence-hide", "data-i18n": "present.hide", "data-i18n-title": "present.hideTitle", on: { click: () => this.toggleCard() } }))),
      this.poll.root);
    this.poll.render(null);
    translate(this.card);
    this.count(0);
    this.card.hidden = false;
  }

  joinScreen() {
    const { code, join_url: url } = this.p;
    const el = h("dialog", { id: "join-screen", class: "join-screen", "aria-labelledby": "join-screen-h" },
      h("h2", { id: "join-screen-h", "data-i18n": "present.screenH" }),
      h("div", { class: "join-screen-body" },
        qrSvg(url, t("present.qr")),
        h("div", { class: "join-screen-text" },
          h("span", { class: "join-screen-code mono", text: code }),
          h("span", { class: "join-screen-url mono", text: url }))),
      h("form", { method: "dialog" }, h("button", { class: "btn-secondary", "data-i18n": "help.close" })));
    document.body.append(el);
    translate(el);
    return el;
  }

  /** Hide the card to give the run the whole screen (the header's chip brings it back). */
  toggleCard() {
    this.card.hidden = !this.card.hidden;
  }

  showScreen() {
    if (!this.screen.open) this.screen.showModal();
  }

  /** @param {number} n */
  count(n) {
    this.followers.dataset.n = String(n);
    this.followers.textContent = t("present.followers", { n: fmtInt(n) });
  }

  /** @param {any} frame */
  onFrame(frame) {
    this.count(frame.followers ?? 0);
    this.poll.render(frame.poll ?? null);
  }

  /** What this page shows now, as the server's View. */
  view() {
    const r = this.page.replay;
    const replay = !this.page.replay ? null
      : r && r.active ? { state: r.state, index: r.index, t: Math.round(r.t), speed: r.speed } : { state: "off" };
    const tl = this.page.timelines[0];
    return { path: this.page.path(), replay, window: tl && tl.built ? tl.span : null };
  }

  /** Something shown changed: push the newest view, at most every PUSH_MS. */
  changed() {
    if (this.timer) return;
    this.timer = window.setTimeout(() => this.flush(), Math.max(0, this.last + PUSH_MS - performance.now()));
  }

  async flush() {
    this.timer = 0;
    if (this.inflight) {
      this.again = true;
      return;
    }
    const view = this.view();
    const body = JSON.stringify(view);
    if (body === this.sent) return;
    this.inflight = true;
    this.last = performance.now();
    try {
      await pushView(this.p, view);
      this.sent = body;
    } catch {
      // a path the server does not follow (e.g. /compare without two runs): the audience stays put
      this.sent = body;
    } finally {
      this.inflight = false;
      if (this.again) {
        this.again = false;
        this.changed();
      }
    }
  }

  /** @param {boolean} tellServer */
  end(tellServer) {
    this.socket.stop();
    window.clearTimeout(this.timer);
    this.page.timelines[0]?.removeEventListener("mp:view", this.changed);
    this.page.replay?.root.removeEventListener("mp:replay", this.changed);
    if (tellServer) stopPresenting(this.p).catch(() => {});
    setPresenting(null);
    this.screen.remove();
    this.card.hidden = true;
    delete this.card.dataset.mode;
    this.onEnd();
  }
}
