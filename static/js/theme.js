// theme.js: the projector theme (black background, white text, larger type), remembered in
// localStorage and applied as a class on <html>; app.css overrides its custom properties under it.
// Changing it fires "mp:theme" on document (the canvas timeline re-reads its colours).

const KEY = "mpscope.theme";
export const PROJECTOR = "theme-projector";

/** @returns {boolean} */
export function isProjector() {
  return document.documentElement.classList.contains(PROJECTOR);
}

/**
 * @param {boolean} on
 * @param {boolean} [remember]
 */
export function setProjector(on, remember = true) {
  document.documentElement.classList.toggle(PROJECTOR, on);
  if (remember) {
    try {
      localStorage.setItem(KEY, on ? "projector" : "default");
    } catch {
      // private mode: the choice lasts for this page only
    }
  }
  document.dispatchEvent(new CustomEvent("mp:theme", { detail: on ? "projector" : "default" }));
}

export function toggleProjector() {
  setProjector(!isProjector());
}

/**
 * Apply the remembered theme and keep a toggle button (aria-pressed) in step with it.
 * @param {HTMLElement} button
 */
export function initTheme(button) {
  let stored = "";
  try {
    stored = localStorage.getItem(KEY) ?? "";
  } catch {
    // no storage: default theme
  }
  const sync = () => button.setAttribute("aria-pressed", String(isProjector()));
  document.addEventListener("mp:theme", sync);
  button.addEventListener("click", toggleProjector);
  if (stored === "projector") setProjector(true, false);
  sync();
}
