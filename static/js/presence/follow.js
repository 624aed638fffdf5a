// presence/follow.js: this tab follows a presentation, read-only. Each frame of /ws/follow/{code}
// carries the presenter's view: go to the same page, show the same timeline window, put the replay
// cursor where the presenter's is (once the run's events are in: the replay bar says when). Only what
// changed since the last frame is applied, so a reader's own zoom lasts until the presenter zooms.
// The body gets the class "following" (presenter.css hides the controls that change anything).
// Test hooks: #presence[data-mode=follow][data-code][data-applied] (frames applied).

import { h } from "../dom.js";
import { translate } from "../i18n.js";
import { connect, setFollowing } from "./link.js";
import { AudiencePoll } from "./poll.js";

/** @typedef {import("./index.js").PageAdapter} PageAdapter */

export class Follower {
  /**
   * @param {string} code
   * @param {PageAdapter} page
   * @param {{card: HTMLElement, onEnd: (why: string) => void}} ui
   */
  constructor(code, page, ui) {
    this.code = code;
    this.page = page;
    this.card = ui.card;
    this.onEnd = ui.onEnd;
    /** @type {any} the replay cursor still to apply (the run's events are not all in yet) */
    this.pending = null;
    this.last = { path: "", window: "", replay: "" };
    this.applied = 0;
    document.body.classList.add("following");
    Object.assign(this.card.dataset, { mode: "follow", code, applied: "0" });
    this.poll = new AudiencePoll(h("section", { class: "poll" }), code);
    this.card.replaceChildren(this.poll.root);
    this.poll.render(null);
    this.card.hidden = true;
    this.tryReplay = this.tryReplay.bind(this);
    page.replay?.root.addEventListener("mp:replay", this.tryReplay);
    this.socket = connect(code, null, (frame) => this.onFrame(frame), (why) => this.end(why));
  }

  /** @param {any} frame */
  onFrame(frame) {
    this.poll.render(frame.poll ?? null);
    this.card.hidden = !frame.poll || this.poll.dismissed;
    if (frame.view) this.apply(frame.view);
  }

  /** @param {any} view */
  apply(view) {
    const moved = view.path !== this.page.path();
    if (moved) this.page.go(view.path);
    const win = JSON.stringify(view.window);
    if (moved || win !== this.last.window) for (const tl of this.page.timelines) tl.showSpan(view.window);
    const replay = JSON.stringify(view.replay);
    if (moved || replay !== this.last.replay) {
      this.pending = view.replay;
      this.tryReplay();
    }
    this.last = { path: view.path, window: win, replay };
    this.card.dataset.applied = String(++this.applied);
  }

  /** Put the replay where the presenter's is, once this page has the whole run. */
  tryReplay() {
    const r = this.pending;
    const bar = this.page.replay;
    if (!r || !bar) return;
    if (r.state === "off") {
      this.pending = null;
      bar.exit();
      return;
    }
    if (!bar.ended) return; // mp:replay fires again as the events come in
    this.pending = null;
    if (bar.speed !== r.speed) {
      bar.el.speed.value = String(r.speed);
      bar.setSpeed();
    }
    if (r.state === "playing") {
      if (!bar.playing) {
        bar.seekIndex(r.index, r.t);
        bar.play();
      }
    } else {
      bar.pause();
      bar.seekIndex(r.index, r.t);
    }
  }

  /** @param {string} why the server's reason, "" when the reader left */
  end(why) {
    this.socket.stop();
    this.page.replay?.root.removeEventListener("mp:replay", this.tryReplay);
    setFollowing("");
    document.body.classList.remove("following");
    delete this.card.dataset.mode;
    if (why) {
      this.card.replaceChildren(h("p", { class: "presence-ended", role: "status", "data-i18n": "follow.ended" }));
      translate(this.card);
      this.card.hidden = false;
    } else this.card.hidden = true;
    this.onEnd(why);
  }
}
