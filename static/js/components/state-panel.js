// components/state-panel.js: hosts the shared-state view of the open run's scenario (views/index.js)
// and feeds it events, holding them back while the view module loads.

import { loadView } from "../views/index.js";

export class StatePanel {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {import("../views/index.js").View|null} */
    this.view = null;
    this.scenario = "";
    /** @type {import("../run-stream.js").RunEvent[]} */
    this.pending = [];
    this.token = 0;
    /** the view shows the open run (its scenario is known and loaded) */
    this.ready = false;
  }

  /** A new run opens: clear the view; events are held until use() knows the run's scenario. */
  begin() {
    this.token++;
    this.ready = false;
    this.pending = [];
    this.view?.reset();
  }

  /**
   * Show the view of the run's scenario; the current view is kept (reset) when it is the same one.
   * @param {string} scenarioId
   */
  async use(scenarioId) {
    const token = this.token;
    if (this.ready) return;
    if (!this.view || scenarioId !== this.scenario) {
      this.view?.destroy?.();
      this.view = null;
      this.root.replaceChildren();
      this.scenario = scenarioId;
      let mod;
      try {
        mod = await loadView(scenarioId);
      } catch {
        mod = await import("../views/generic.js");
      }
      if (token !== this.token || this.view) return; // another run was opened meanwhile
      this.view = mod.createView(this.root);
    }
    this.ready = true;
    if (this.pending.length) this.view.onEvents(this.pending);
    this.pending = [];
  }

  /**
   * Show the state as of exactly these events (seq order, from the run's first): replay going back.
   * @param {import("../run-stream.js").RunEvent[]} events
   */
  replay(events) {
    if (this.ready && this.view) {
      this.view.reset();
      this.view.onEvents(events);
    } else this.pending = events.slice();
  }

  /** @param {import("../run-stream.js").RunEvent[]} events */
  onEvents(events) {
    if (this.ready && this.view) this.view.onEvents(events);
    else for (const ev of events) this.pending.push(ev);
  }
}
