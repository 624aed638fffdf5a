"""The timeline's and the verdicts' colours as a deuteranope sees them, without a browser.

The colours are app.css's custom properties (:root). Each is passed through Machado, Oliveira and
Fernandes' (2009) deuteranopia matrix (severity 1, on linear RGB), then compared in CIELAB (CIE76
delta E; about 2 is just noticeable, 10 plainly different). What may look alike must differ in
something else than colour:
- the event ticks: every pair of categories stays >= TICKS_APART apart, but "error" and "lost" (both
  red by meaning; a lost update is also a triangle and a "lost N" pill);
- the bars: "waiting" is hatched (palette.js BARS), so holding and waiting never rest on colour alone;
- the verdicts (good, bad, even, pending): green and red nearly meet (measured below), so every tone has
  its own icon (views/live-view.js ICONS) as well as its words.
The browser's own simulation (DevTools Emulation.setEmulatedVisionDeficiency) is a screenshot in
tests/browser/test_browser_layout.py.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CSS = ROOT / "static" / "css" / "app.css"
TICKS = ["read", "write", "array", "queue", "pipe", "manager", "thread", "log", "error", "other"]
TICKS_APART = 14.0
SAME_MEANING = {frozenset({"error", "lost"})}

DEUTERANOPIA = (
    (0.367322, 0.860646, -0.227968),
    (0.280085, 0.672501, 0.047413),
    (-0.011820, 0.042940, 0.968881),
)


def palette() -> dict[str, str]:
    text = CSS.read_text(encoding="utf-8")
    root = text[text.index(":root") : text.index("}", text.index(":root"))]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\b", root))


def linear(hex_colour: str) -> tuple[float, float, float]:
    def one(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return one(r), one(g), one(b)


def deuteranope(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (
        max(0.0, min(1.0, row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2])) for row in DEUTERANOPIA
    )
    return r, g, b


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def apart(a: str, b: str, *, simulate: bool = True) -> float:
    pa, pb = linear(a), linear(b)
    if simulate:
        pa, pb = deuteranope(pa), deuteranope(pb)
    la, lb = lab(pa), lab(pb)
    return float(sum((p - q) ** 2 for p, q in zip(la, lb, strict=True)) ** 0.5)


def test_the_simulation_is_the_known_one() -> None:
    # Pure red and pure green, far apart to most eyes, come close for a deuteranope; blue and yellow
    # stay apart. (Guards the matrix and the maths, so that the checks below can fail for real.)
    assert apart("#ff0000", "#00ff00", simulate=False) > 150
    assert apart("#ff0000", "#00ff00") < 0.4 * apart("#ff0000", "#00ff00", simulate=False)
    assert apart("#0000ff", "#ffff00") > 100


def test_event_ticks_stay_apart_for_a_deuteranope() -> None:
    colours = palette()
    close = []
    for a, b in itertools.combinations([*TICKS, "lost"], 2):
        if frozenset({a, b}) in SAME_MEANING:
            continue
        d = apart(colours[f"tl-{a}"], colours[f"tl-{b}"])
        if d < TICKS_APART:
            close.append(f"{a} {colours[f'tl-{a}']} ~ {b} {colours[f'tl-{b}']}: delta E {d:.1f}")
    assert not close, "\n".join(close)


def test_bars_that_look_alike_are_told_apart_by_hatching() -> None:
    colours = palette()
    bars = (ROOT / "static" / "js" / "timeline" / "palette.js").read_text(encoding="utf-8")
    hatched = set(re.findall(r'css: "--(tl-[\w-]+)"[^}]*hatch: true', bars))
    names = re.findall(r'span: SPAN\.\w+, css: "--(tl-[\w-]+)"', bars)
    assert len(names) == 4, names
    for a, b in itertools.combinations(names, 2):
        if apart(colours[a], colours[b]) < 30:
            assert {a, b} & hatched, f"{a} and {b} look alike to a deuteranope and neither is hatched"


def test_every_verdict_tone_has_its_own_icon() -> None:
    colours = palette()
    # measured: green and red verdicts are only this far apart for a deuteranope (vs ~126 to most eyes)
    assert apart(colours["good"], colours["bad"]) < 20
    source = (ROOT / "static" / "js" / "views" / "live-view.js").read_text(encoding="utf-8")
    match = re.search(r"const ICONS = \{([^}]*)\}", source)
    assert match, "views/live-view.js ICONS"
    icons = dict(re.findall(r'(\w+): "([^"]+)"', match.group(1)))
    assert set(icons) == {"good", "bad", "even", "pending"}
    assert len(set(icons.values())) == 4, icons
