// announce.js: what a screen reader says about a change away from its focus: the replay starting,
// pausing or stepping, the timeline zoomed or panned, a poll opened or closed. One polite live region
// per page (#announce, visually hidden, made on first use). announce() says a thing now; settle() waits
// for a burst of changes (a wheel zoom, a drag, a scrub) to stop and says only the last of it.
// Test hook: #announce's text is the last thing said (data-said counts them).

/** @type {HTMLElement|null} */
let region = null;
/** @type {Map<string, number>} pending settle() timers by topic */
const timers = new Map();

function live() {
  if (region?.isConnected) return region;
  region = document.createElement("div");
  region.id = "announce";
  region.className = "sr-only";
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  region.dataset.said = "0";
  document.body.append(region);
  return region;
}

/**
 * Say `text` (politely: after what the screen reader is saying). The same words twice are said twice.
 * @param {string} text
 */
export function announce(text) {
  const el = live();
  // a live region speaks on change: the same words again need a change, and a space is one
  el.textContent = el.textContent === text ? `${text}\u00a0` : text;
  el.dataset.said = String(Number(el.dataset.said) + 1);
}

/**
 * Say what `words()` gives once `topic` has been quiet for `ms`: a burst says only its end.
 * @param {string} topic
 * @param {() => string} words
 * @param {number} [ms]
 */
export function settle(topic, words, ms = 600) {
  clearTimeout(timers.get(topic));
  timers.set(topic, window.setTimeout(() => (timers.delete(topic), announce(words())), ms));
}

live(); // there before the first change: a region made at the moment it speaks may go unheard
