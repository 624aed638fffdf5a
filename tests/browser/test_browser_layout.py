"""Layout in a real headless Chromium: the projector rule and the phone rule.

Projector rule (1280x720 and 1024x768, both themes for the 720p case): on the run page of every scenario
(GET /api/scenarios, each run with small params) and of a traced run, the run header (title and
status), the timeline (all its lanes) and the state view (with its verdict) are inside the viewport,
and the document does not scroll vertically (scrollHeight <= innerHeight). Found through the hooks
data-testid="run-header", "timeline" and "state".

Phone rule (360, 390 and 430 px wide): no page scrolls sideways (scrollWidth <= innerWidth): /,
/scenarios/{id}, /runs/{id}, /join/{code} and /compare, the presenter's and a follower's.

Fonts: a zh-Hant page draws its CJK characters with a CJK font (fonts-noto-cjk), not fallback boxes:
the fonts Chromium really used, per element, come from DevTools (CSS.getPlatformFontsForNode).

Screenshots: tests/artifacts/layout-*.png (English and Chinese, presenter and follower, projector theme).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import post_json, present, small_params, wait_ended
from tests.helpers import ARTIFACTS, chromium, get_json

pytestmark = pytest.mark.browser

PROGRAM = Path(__file__).parent.parent / "trace_programs" / "dashboard_demo.py"
PROJECTOR_SIZES = [(1280, 720), (1024, 768)]
PHONE_WIDTHS = [360, 390, 430]


@pytest.fixture(scope="module")
def runs(live_server: Any) -> dict[str, str]:
    """scenario id -> id of a finished run of it (small params); "trace" -> a traced program's run."""
    base = live_server.url
    out: dict[str, str] = {}
    for s in get_json(f"{base}/api/scenarios"):
        run = post_json(f"{base}/api/runs", {"scenario": s["id"], "params": small_params(s)})
        wait_ended(base, run["id"])
        out[s["id"]] = run["id"]
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--server", base, str(PROGRAM)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    url = next(line.split()[-1] for line in done.stderr.splitlines() if "/runs/" in line)
    out["trace"] = url.rsplit("/", 1)[-1]
    return out


@pytest.fixture(name="chromium")
def chromium_fixture() -> Iterator[Any]:
    """Debian's Chromium (a missing one fails in CI, as every browser test does: tests/helpers.py)."""
    with chromium() as launched:
        yield launched


def new_page(
    chromium: Any, width: int, height: int, *, theme: str = "", lang: str = "", touch: bool = False
) -> Any:
    ctx = chromium.new_context(viewport={"width": width, "height": height}, has_touch=touch, is_mobile=touch)
    init = []
    if theme:
        init.append(f"localStorage.setItem('mpscope.theme', {json.dumps(theme)});")
    if lang:
        init.append(f"localStorage.setItem('mpscope.lang', {json.dumps(lang)});")
    if init:
        ctx.add_init_script("\n".join(init))
    page = ctx.new_page()
    page.set_default_timeout(20_000)
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}.png"))


MEASURE = """() => {
  const box = (sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height};
  };
  const tl = document.querySelector('[data-testid=timeline] mp-timeline');
  return {
    scenario: (document.querySelector('[data-testid=state] [data-view]') || {dataset: {}}).dataset.view || '',
    innerHeight: innerHeight, innerWidth: innerWidth,
    scrollHeight: document.scrollingElement.scrollHeight,
    scrollWidth: document.scrollingElement.scrollWidth,
    header: box('[data-testid=run-header]'),
    title: box('[data-testid=run-header] .rh-title'),
    status: box('[data-testid=run-header] .badge'),
    timeline: box('[data-testid=timeline]'),
    canvas: box('[data-testid=timeline] canvas'),
    lanes: tl ? Number(tl.dataset.lanes) : 0,
    state: box('[data-testid=state]'),
    verdict: box('[data-testid=state] [role=status]'),
    verdictText: (() => {
      const el = document.querySelector('[data-testid=state] [role=status]');
      return el ? (el.dataset.verdictIcon || '') + el.textContent : '';
    })(),
    canvasScroll: tl ? (() => {
      const w = tl.querySelector('.tl-wrap');
      return w.scrollHeight - w.clientHeight;
    })() : 0,
  };
}"""


def inside(b: dict[str, float] | None, m: dict[str, Any], what: str) -> list[str]:
    if b is None:
        return [f"{what}: missing"]
    bad = min(b["top"], b["left"]) < -0.5
    bad = bad or b["bottom"] > m["innerHeight"] + 0.5 or b["right"] > m["innerWidth"] + 0.5
    return [f"{what} {b} outside {m['innerWidth']}x{m['innerHeight']}"] if bad or b["height"] <= 0 else []


def projector_problems(m: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("header", "title", "status", "timeline", "state"):
        problems += inside(m[key], m, key)
    problems += inside(m["verdict"], m, "verdict")  # every view has one (views/live-view.js verdict())
    if m["verdictText"] and not any(icon in m["verdictText"] for icon in "✓✗⚠"):
        problems.append(f"verdict without an icon: {m['verdictText']!r}")
    if m["scrollHeight"] > m["innerHeight"]:
        problems.append(f"document scrolls: scrollHeight {m['scrollHeight']} > {m['innerHeight']}")
    lanes_cut = m["canvas"] and m["timeline"] and m["canvas"]["bottom"] > m["timeline"]["bottom"] + 1
    if m["lanes"] <= 8 and (m["canvasScroll"] > 1 or lanes_cut):
        problems.append(f"{m['lanes']} lanes do not fit: the timeline scrolls by {m['canvasScroll']} px")
    return problems


def open_run(page: Any, base: str, run_id: str) -> None:
    page.goto(f"{base}/runs/{run_id}")
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    page.wait_for_selector("#run-header[data-status]:not([data-status=queued]):not([data-status=running])")
    page.wait_for_selector("[data-testid=state] [data-view]", state="attached", timeout=10_000)
    page.wait_for_timeout(400)  # the last frames: the timeline sizes itself to what is left


@pytest.mark.parametrize("size", PROJECTOR_SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_projector_rule_on_every_run_page(
    live_server: Any, runs: dict[str, str], chromium: Any, size: Any
) -> None:
    width, height = size
    failures: dict[str, list[str]] = {}
    themes = ["", "projector"] if size == (1280, 720) else [""]
    for theme in themes:
        for lang in ("en", "zh"):
            page = new_page(chromium, width, height, theme=theme, lang=lang)
            for scenario, run_id in runs.items():
                open_run(page, live_server.url, run_id)
                m = page.evaluate(MEASURE)
                problems = projector_problems(m)
                if problems:
                    failures[f"{scenario} {theme or 'dark'} {lang}"] = problems
                if lang == "en" or scenario in ("race", "trace"):
                    tag = f"{width}x{height}-{scenario}-{lang}" + (f"-{theme}" if theme else "")
                    shot(page, tag)
            page.context.close()
    assert not failures, json.dumps(failures, indent=1)


def phone_pages(base: str, runs: dict[str, str], code: str) -> dict[str, str]:
    return {
        "home": "/",
        "scenario": "/scenarios/race",
        "run": f"/runs/{runs['race']}",
        "trace": f"/runs/{runs['trace']}",
        "join": f"/join/{code}",
        "compare": f"/compare?a={runs['race']}&b={runs['queue']}",
    }


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_no_page_scrolls_sideways_on_a_phone(
    live_server: Any, runs: dict[str, str], chromium: Any, width: int
) -> None:
    base = live_server.url
    p = present(base, runs["race"], poll=True)
    wide: dict[str, str] = {}
    for lang in ("en", "zh"):
        for name, path in phone_pages(base, runs, p["code"]).items():
            page = new_page(chromium, width, 844, lang=lang, touch=True)
            page.goto(base + path)
            if name == "join":
                page.wait_for_selector("#presence[data-mode=follow][data-applied]:not([data-applied='0'])")
                page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
                page.wait_for_selector(".poll-question")
            elif name in ("run", "trace"):
                page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
            elif name == "compare":
                page.wait_for_selector("#timeline-b[data-ended=true]", timeout=30_000)
            else:
                page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            m = page.evaluate(MEASURE)
            # A mobile viewport widens its layout viewport (innerWidth) to fit wide content: compare
            # with the phone's own width too.
            if max(m["scrollWidth"], m["innerWidth"]) > width:
                culprits = page.evaluate(WIDE_ELEMENTS.replace("WIDTH", str(width)))
                wide[f"{name} {lang}"] = f"scrollWidth {m['scrollWidth']} > {m['innerWidth']}: {culprits}"
            if width == 390:
                shot(page, f"390x844-{name}-{lang}")
                if name in ("join", "run"):
                    full = ARTIFACTS / f"layout-390x844-{name}-{lang}-full.png"
                    page.screenshot(path=str(full), full_page=True)
            page.context.close()
    assert not wide, json.dumps(wide, indent=1)


WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > WIDTH + 0.5 && el.getClientRects().length)
  .slice(0, 6).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + '.' + [...el.classList].join('.') + ' ' + Math.round(el.getBoundingClientRect().right))"""


def platform_fonts(page: Any, selector: str) -> dict[str, int]:
    """The fonts Chromium really drew the element's text with (DevTools CSS.getPlatformFontsForNode):
    family -> glyphs. A character no font has is drawn as a box by the last fallback."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def cjk_count(text: str) -> int:
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")


def test_chinese_is_drawn_with_a_cjk_font(live_server: Any, runs: dict[str, str], chromium: Any) -> None:
    page = new_page(chromium, 1280, 720, lang="zh")
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("html[lang=zh-Hant]")
    page.wait_for_load_state("networkidle")
    # (document.fonts.check() is no help: it says true for a system font that is not there at all)
    problems: list[str] = []

    def check(selector: str) -> None:
        text = page.locator(selector).text_content() or ""
        fonts = platform_fonts(page, selector)
        cjk = sum(n for family, n in fonts.items() if "CJK" in family)
        if not cjk_count(text) or cjk < cjk_count(text):
            problems.append(f"{selector} {text!r}: drawn with {fonts}")

    check("#home-h")
    open_run(page, live_server.url, runs["race"])
    for selector in ("#lang-zh", "[data-testid=state] [role=status]", "#run-explain summary"):
        check(selector)
    page.context.close()
    assert not problems, "Chinese drawn without a CJK font (apt-get install fonts-noto-cjk):\n" + "\n".join(
        problems
    )


LECTURE = [(1280, 720, ""), (1280, 720, "projector"), (1024, 768, "projector"), (1920, 1080, "projector")]


@pytest.mark.parametrize("size", LECTURE, ids=lambda s: f"{s[0]}x{s[1]}-{s[2] or 'dark'}")
def test_projector_rule_for_presenter_and_follower(
    live_server: Any, runs: dict[str, str], chromium: Any, size: Any
) -> None:
    """The presenter's run page with its card (join code, QR, an open poll and its tally) and a follower's
    page with the poll: the same one-screen rule. 1920x1080 in the projector theme is full screen (`f`)
    on a 1080p projector: the same rule with larger type."""
    width, height, theme = size
    base = live_server.url
    p = present(base, runs["race"], poll=True)
    failures: dict[str, list[str]] = {}
    for lang in ("en", "zh"):
        for who in ("presenter", "follower"):
            page = new_page(chromium, width, height, theme=theme, lang=lang)
            if who == "presenter":
                page.context.add_init_script(
                    f"sessionStorage.setItem('mpscope.presenting', {json.dumps(json.dumps(p))})"
                )
                open_run(page, base, runs["race"])
                page.wait_for_selector("#presence[data-mode=present] .poll")
            else:
                page.goto(f"{base}/join/{p['code']}")
                page.wait_for_selector("#presence[data-mode=follow] .poll-question")
                page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
                page.wait_for_selector("[data-testid=state] [data-view]", state="attached")
                page.wait_for_timeout(400)
            problems = projector_problems(page.evaluate(MEASURE))
            if problems:
                failures[f"{who} {lang}"] = problems
            shot(page, f"{width}x{height}-{who}-{lang}-{theme or 'dark'}")
            page.context.close()
    assert not failures, json.dumps(failures, indent=1)


def test_timeline_fits_a_phone_and_pans_by_touch(
    live_server: Any, runs: dict[str, str], chromium: Any
) -> None:
    """At 390 px the timeline is no wider than the screen; a finger dragged sideways across it pans it
    (pointer events), two fingers spreading zoom in, and a vertical swipe is left to the page."""
    page = new_page(chromium, 390, 844, touch=True)
    open_run(page, live_server.url, runs["race"])
    canvas = page.locator("[data-testid=timeline] canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert (
        page.evaluate("() => getComputedStyle(document.querySelector('.tl-canvas')).touchAction") == "pan-y"
    )
    tl = page.locator("mp-timeline")
    cdp = page.context.new_cdp_session(page)
    y = box["y"] + box["height"] * 0.6

    def touch(kind: str, *xs: float) -> None:
        points = [{"x": x, "y": y, "id": i} for i, x in enumerate(xs)]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    before = float(tl.get_attribute("data-t0") or 0)
    x0 = box["x"] + box["width"] * 0.75
    touch("touchStart", x0)
    for step in range(1, 9):
        touch("touchMove", x0 - step * 15)
    touch("touchEnd")
    page.wait_for_timeout(200)
    after = float(tl.get_attribute("data-t0") or 0)
    assert after > before, f"a drag to the left moves the window later: t0 {before} -> {after}"

    zoom = float(tl.get_attribute("data-ns-per-px") or 0)
    mid = box["x"] + box["width"] * 0.65
    touch("touchStart", mid - 10, mid + 10)
    for step in range(1, 9):
        touch("touchMove", mid - 10 - step * 8, mid + 10 + step * 8)
    touch("touchEnd")
    page.wait_for_timeout(200)
    assert float(tl.get_attribute("data-ns-per-px") or 0) < zoom, "spreading two fingers zooms in"
    cdp.detach()
    page.context.close()


def test_full_screen_projector_at_1080p_on_every_run_page(
    live_server: Any, runs: dict[str, str], chromium: Any
) -> None:
    """A 1080p projector: the teacher presses `p` (projector theme) once and `f` (full screen) on each run
    page. The same one-screen rule holds for every scenario and a traced run, with larger type."""
    page = new_page(chromium, 1920, 1080)
    failures: dict[str, list[str]] = {}
    for n, (scenario, run_id) in enumerate(runs.items()):
        open_run(page, live_server.url, run_id)
        if n == 0:
            page.keyboard.press("p")  # remembered (localStorage) for the pages after
        page.wait_for_selector("html.theme-projector", state="attached")
        page.keyboard.press("f")
        page.wait_for_function("() => document.fullscreenElement === document.documentElement")
        page.wait_for_timeout(300)  # the timeline refits to the screen
        size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        problems = projector_problems(page.evaluate(MEASURE))
        if size <= 16:
            problems.append(f"type is not larger: {size} px")
        if problems:
            failures[scenario] = problems
        if scenario in ("race", "trace", "queue"):
            shot(page, f"1920x1080-{scenario}-fullscreen-projector")
        page.keyboard.press("f")
        page.wait_for_function("() => !document.fullscreenElement")
    page.context.close()
    assert not failures, json.dumps(failures, indent=1)


def test_verdicts_and_lanes_under_deuteranopia(live_server: Any, runs: dict[str, str], chromium: Any) -> None:
    """Chromium's own deuteranopia simulation (DevTools Emulation.setEmulatedVisionDeficiency): the
    screenshots (tests/artifacts/layout-deuteranopia-*.png) are for a person to look at; what the test
    holds is that every verdict still says it in words with an icon (colour distances: plain test
    tests/web/test_colour_vision.py)."""
    page = new_page(chromium, 1280, 720)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setEmulatedVisionDeficiency", {"type": "deuteranopia"})
    missing = {}
    for scenario in ("race", "deadlock", "queue", "firehose", "trace"):
        open_run(page, live_server.url, runs[scenario])
        text = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=state] [role=status]')]
                 .map((el) => (el.dataset.verdictIcon || '') + el.textContent)"""
        )
        if not text or not all(any(icon in x for icon in "✓✗⚠") and len(x.strip()) > 3 for x in text):
            missing[scenario] = text
        shot(page, f"deuteranopia-{scenario}")
    cdp.detach()
    page.context.close()
    assert not missing, missing


PHONE_CHECK = """() => {
  const top = (sel) => {
    const el = document.querySelector(sel);
    return el && el.checkVisibility() ? el.getBoundingClientRect().top + scrollY : null;
  };
  const shown = (sel) => [...document.querySelectorAll(sel)]
    .filter((el) => el.checkVisibility() && el.getBoundingClientRect().width > 0)
    .map((el) => sel + ' ' + (el.textContent || '').trim().slice(0, 30));
  const targets = [...document.querySelectorAll(
      'button, select, summary, a.scn-link, a.run-link, input:not([type=range]):not([type=checkbox])')]
    .filter((el) => el.checkVisibility() && el.getBoundingClientRect().width > 0)
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([el, r]) => r.height < 43.5 || (el.tagName === 'BUTTON' && r.width < 43.5))
    .map(([el, r]) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} `
      + `"${(el.textContent || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  return {
    state: top('[data-testid=state]'), verdict: top('[data-testid=state] [role=status]'),
    timeline: top('[data-testid=timeline]'), poll: top('#presence .poll'),
    forbidden: [].concat(...['#page-run .counters', '#page-run .replay-bar', '.vs-action', '.btn-cancel',
      '.rh-actions', '#sidebar', '.run-form .form-actions'].map(shown)),
    small: targets,
  };
}"""


@pytest.mark.parametrize("width", [360, 430])
def test_a_followers_phone_shows_the_lesson_first(
    live_server: Any, runs: dict[str, str], chromium: Any, width: int
) -> None:
    """A follower's phone (/join/{code}, an open poll): the state view and its verdict, then the
    timeline, then the poll; no control a follower cannot use (run, cancel, replay, "Run it with the
    Lock", the developer counters, the lesson menu); every touch target at least 44 px."""
    base = live_server.url
    p = present(base, runs["race"], poll=True)
    page = new_page(chromium, width, 844, lang="zh", touch=True)
    page.goto(f"{base}/join/{p['code']}")
    page.wait_for_selector("#presence[data-mode=follow] .poll-question")
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    page.wait_for_timeout(300)
    m = page.evaluate(PHONE_CHECK)
    assert None not in (m["state"], m["verdict"], m["timeline"], m["poll"]), m
    assert m["state"] <= m["verdict"] < m["timeline"] < m["poll"], m
    assert not m["forbidden"], m["forbidden"]
    assert not m["small"], f"touch targets under 44 px: {m['small']}"
    page.context.close()


def test_the_lessons_are_a_menu_on_a_phone(live_server: Any, runs: dict[str, str], chromium: Any) -> None:
    """On a phone the scenario list is not the first screen: it is behind the top bar's menu button
    (44 px targets), which opens it and closes it on navigation; the run page then shows the lesson."""
    page = new_page(chromium, 390, 844, touch=True)
    page.goto(f"{live_server.url}/runs/{runs['queue']}")
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    assert not page.locator("#sidebar").is_visible()
    toggle = page.locator("#menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert page.locator("#sidebar").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    shot(page, "390x844-menu-open")
    small = page.evaluate(PHONE_CHECK)["small"]
    assert not small, f"touch targets under 44 px: {small}"
    page.locator("#sidebar a.scn-link[data-scenario-id=race]").click()
    page.wait_for_selector("#page-scenario:not([hidden])")
    assert not page.locator("#sidebar").is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    page.context.close()
