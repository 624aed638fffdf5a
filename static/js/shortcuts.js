// shortcuts.js: the dashboard's keyboard shortcuts (listed in components/help-dialog.js). Keys typed
// into a field, or already handled by a widget (the timeline canvas pans with the arrows), are left alone.
// A field inside a shadow root (the code editor's) is found through the event's composed path: the
// event's own target is then the shadow host.

/**
 * @typedef {object} ShortcutActions  each returns false when it does not apply (the key then does its usual thing)
 * @property {() => boolean} playPause
 * @property {(dir: number) => boolean} step
 * @property {() => void} fullscreen
 * @property {() => void} theme
 * @property {() => void} help
 */

const TEXT_INPUTS = new Set(["text", "number", "search", "email", "password", "url", "tel", "date", "time"]);

/** @param {EventTarget|null} target @returns {boolean} a field the user may be typing into */
function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && TEXT_INPUTS.has(target.type);
}

/** @param {ShortcutActions} actions */
export function installShortcuts(actions) {
  document.addEventListener("keydown", (ev) => {
    const target = ev.composedPath()[0] ?? ev.target; // inside the editor's shadow root, not its host
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing || typing(target)) return;
    if (document.querySelector("dialog[open]") && ev.key !== "?") return; // the help is up: Esc closes it
    const onRange = ev.target instanceof HTMLInputElement && ev.target.type === "range";
    let done = true;
    switch (ev.key) {
      case " ":
        done = actions.playPause();
        break;
      case "ArrowLeft":
      case "ArrowRight":
        done = !onRange && actions.step(ev.key === "ArrowRight" ? 1 : -1);
        break;
      case "f":
        actions.fullscreen();
        break;
      case "p":
        actions.theme();
        break;
      case "?":
        actions.help();
        break;
      default:
        done = false;
    }
    if (done) ev.preventDefault();
  });
}

/** Full screen on or off for the whole page. */
export function toggleFullscreen() {
  const p = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
  p.catch(() => {}); // refused (no user gesture, or not allowed): nothing to do
}
