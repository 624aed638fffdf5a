// timeline/interact.js: mouse, touch and keyboard on the timeline canvas: wheel or pinch to zoom,
// drag to pan, hover for the tooltip, +/- and arrow keys.

/**
 * @typedef {object} Controller
 * @property {(factor: number, x: number) => void} zoom     factor > 1 zooms in around canvas x
 * @property {(dx: number) => void} pan                     drag by dx CSS pixels
 * @property {(x: number, y: number) => void} hover         pointer at canvas x, y
 * @property {() => void} leave                             pointer left the canvas
 */

/**
 * Wire input events on `canvas` to `ctl`. Returns a function that removes them.
 * @param {HTMLCanvasElement} canvas
 * @param {Controller} ctl
 * @returns {() => void}
 */
export function attachInput(canvas, ctl) {
  /** @type {Map<number, {x: number, y: number}>} */
  const pointers = new Map();
  let pinchDist = 0;
  let dragged = false;

  const local = (/** @type {MouseEvent} */ ev) => {
    const r = canvas.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  };

  const onWheel = (/** @type {WheelEvent} */ ev) => {
    ev.preventDefault();
    const { x } = local(ev);
    const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1;
    const dx = ev.deltaX * unit;
    const dy = ev.deltaY * unit;
    if (Math.abs(dx) > Math.abs(dy) || ev.shiftKey) ctl.pan(-(dx || dy));
    else ctl.zoom(Math.exp(-dy * (ev.ctrlKey ? 0.01 : 0.0025)), x); // ctrlKey: trackpad pinch
  };

  const onDown = (/** @type {PointerEvent} */ ev) => {
    if (ev.button !== 0) return;
    canvas.setPointerCapture(ev.pointerId);
    pointers.set(ev.pointerId, local(ev));
    dragged = false;
    if (pointers.size === 2) pinchDist = spread();
    canvas.classList.add("dragging");
  };

  const onMove = (/** @type {PointerEvent} */ ev) => {
    const p = local(ev);
    const prev = pointers.get(ev.pointerId);
    if (!prev) {
      ctl.hover(p.x, p.y);
      return;
    }
    pointers.set(ev.pointerId, p);
    if (pointers.size === 2) {
      const d = spread();
      if (pinchDist > 0 && d > 0) ctl.zoom(d / pinchDist, center().x);
      pinchDist = d;
    } else if (pointers.size === 1 && p.x !== prev.x) {
      dragged = true;
      ctl.pan(p.x - prev.x);
    }
  };

  const onUp = (/** @type {PointerEvent} */ ev) => {
    pointers.delete(ev.pointerId);
    pinchDist = pointers.size === 2 ? spread() : 0;
    if (!pointers.size) canvas.classList.remove("dragging");
    if (!dragged && ev.pointerType !== "mouse") {
      const p = local(ev);
      ctl.hover(p.x, p.y); // a tap shows the tooltip on touch screens
    }
  };

  const onKey = (/** @type {KeyboardEvent} */ ev) => {
    const mid = canvas.clientWidth / 2;
    const actions = /** @type {Record<string, () => void>} */ ({
      "+": () => ctl.zoom(1.5, mid),
      "=": () => ctl.zoom(1.5, mid),
      "-": () => ctl.zoom(1 / 1.5, mid),
      ArrowLeft: () => ctl.pan(canvas.clientWidth / 8),
      ArrowRight: () => ctl.pan(-canvas.clientWidth / 8),
    });
    const act = actions[ev.key];
    if (act) {
      ev.preventDefault();
      act();
    }
  };

  function spread() {
    const [a, b] = [...pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  function center() {
    const [a, b] = [...pointers.values()];
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }

  const onLeave = () => ctl.leave();
  const listeners = /** @type {[string, EventListener, AddEventListenerOptions?][]} */ ([
    ["wheel", onWheel, { passive: false }],
    ["pointerdown", onDown],
    ["pointermove", onMove],
    ["pointerup", onUp],
    ["pointercancel", onUp],
    ["pointerleave", onLeave],
    ["keydown", onKey],
  ]);
  for (const [type, fn, opts] of listeners) canvas.addEventListener(type, fn, opts);
  return () => {
    for (const [type, fn] of listeners) canvas.removeEventListener(type, fn);
  };
}
