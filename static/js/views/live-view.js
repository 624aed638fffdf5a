// views/live-view.js: the lifecycle every state view shares: its state folded from the events, at
// most one render per animation frame, and the View interface the state panel calls.

/**
 * @template S
 * @param {HTMLElement} root the view's root element, already in the page
 * @param {() => S} emptyState the state before any event
 * @param {(s: S, ev: import("../run-stream.js").RunEvent) => void} apply folds one event into the state
 * @param {(s: S) => void} render draws the state
 * @param {() => void} [onReset] also called on reset (e.g. for a view's own sub-widgets)
 * @returns {import("./index.js").View}
 */
export function liveView(root, emptyState, apply, render, onReset) {
  let s = emptyState();
  let raf = 0;
  const schedule = () => {
    if (!raf) raf = requestAnimationFrame(() => ((raf = 0), render(s)));
  };
  render(s);
  return {
    onEvents(events) {
      for (const ev of events) apply(s, ev);
      schedule();
    },
    reset() {
      s = emptyState();
      onReset?.();
      schedule();
    },
    destroy() {
      cancelAnimationFrame(raf);
      root.remove();
    },
  };
}
