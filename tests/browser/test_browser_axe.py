"""Accessibility: axe-core (static/vendor/axe-core-*, for tests only) on every page, in English and
Chinese, in the dark and the projector theme: home, a scenario, a run, a traced run, the compare page,
a presenter's run page with an open poll and a follower's page with it; and all of them again on a
390 px phone. No critical and no serious violation (the counts per page are printed).
Also: keyboard focus is visible (an outline) on the controls a teacher tabs to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import post_json, present, run_axe, wait_ended
from tests.helpers import chromium, get_json

pytestmark = pytest.mark.browser

PROGRAM = Path(__file__).parent.parent / "trace_programs" / "dashboard_demo.py"


@pytest.fixture(scope="module")
def axe_runs(live_server: Any) -> dict[str, str]:
    base = live_server.url
    out = {}
    for scenario, params in (
        ("race", {"increments": 200}),
        ("queue", {"items": 4, "produce_ms": 20, "consume_ms": 20}),
    ):
        out[scenario] = post_json(f"{base}/api/runs", {"scenario": scenario, "params": params})["id"]
        wait_ended(base, out[scenario])
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--server", base, str(PROGRAM)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out["trace"] = next(line.split()[-1] for line in done.stderr.splitlines() if "/runs/" in line).rsplit(
        "/", 1
    )[-1]
    assert get_json(f"{base}/api/runs/{out['trace']}")["status"] == "succeeded"
    return out


@pytest.fixture(name="chromium")
def chromium_fixture() -> Iterator[Any]:
    """Debian's Chromium (a missing one fails in CI, as every browser test does: tests/helpers.py)."""
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("theme", ["dark", "projector", "phone"])
def test_no_serious_accessibility_violations(
    live_server: Any, axe_runs: dict[str, str], chromium: Any, theme: str
) -> None:
    base = live_server.url
    p = present(base, axe_runs["race"], poll=True)
    pages = {
        "home": "/",
        "scenario": "/scenarios/race",
        "run": f"/runs/{axe_runs['race']}",
        "trace": f"/runs/{axe_runs['trace']}",
        "compare": f"/compare?a={axe_runs['race']}&b={axe_runs['queue']}",
        "presenter": f"/runs/{axe_runs['race']}",
        "follower": f"/join/{p['code']}",
    }
    found: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for lang in ("en", "zh"):
        for name, path in pages.items():
            phone = theme == "phone"  # the dark theme on a 390x844 touch screen: the audience's
            size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 720}
            ctx = chromium.new_context(viewport=size, has_touch=phone, is_mobile=phone)
            init = [f"localStorage.setItem('mpscope.lang', '{lang}')"]
            if theme == "projector":
                init.append("localStorage.setItem('mpscope.theme', 'projector')")
            if name == "presenter":
                init.append(f"sessionStorage.setItem('mpscope.presenting', {json.dumps(json.dumps(p))})")
            ctx.add_init_script(";".join(init))
            page = ctx.new_page()
            page.goto(base + path)
            if name in ("run", "trace", "presenter", "follower"):
                page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
            if name == "presenter":
                page.wait_for_selector("#presence[data-mode=present] .poll-question")
            if name == "follower":
                page.wait_for_selector("#presence[data-mode=follow] .poll-question")
            if name == "compare":
                page.wait_for_selector("#timeline-b[data-ended=true]", timeout=30_000)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(300)
            violations = run_axe(page)
            counts[f"{name} {lang}"] = len(violations)
            if violations:
                found[f"{name} {lang}"] = violations
            ctx.close()
    print(f"axe ({theme}): critical+serious per page: {counts}")
    assert not found, json.dumps(found, indent=1)


FOCUSED = """() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const seen = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none';
  return {id: el.dataset.kbd || '', el: el.tagName.toLowerCase() + '.' + [...el.classList].join('.')
          + ' "' + (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 24) + '"', seen};
}"""

TABBABLE = """() => {
  const els = [...document.querySelectorAll(
    'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), summary, '
    + '[tabindex="0"]')]
    .filter((el) => el.checkVisibility({visibilityProperty: true}) && el.getBoundingClientRect().width > 0
      && !el.closest('[inert]') && el.tabIndex >= 0);
  els.forEach((el, i) => (el.dataset.kbd = String(i)));
  return els.map((el) => el.tagName.toLowerCase() + '.' + [...el.classList].join('.')
    + ' "' + (el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 24) + '"');
}"""


@pytest.mark.parametrize("where", ["run", "home", "follower"])
def test_the_whole_page_works_from_the_keyboard(
    live_server: Any, axe_runs: dict[str, str], chromium: Any, where: str
) -> None:
    """Tab goes through every control on the page (each one reached, in a cycle) and each shows where
    the focus is: an outline of 2 px or more, or a ring (box-shadow)."""
    base = live_server.url
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    if where == "follower":
        p = present(base, axe_runs["race"], poll=True)
        page.goto(f"{base}/join/{p['code']}")
        page.wait_for_selector("#presence[data-mode=follow] .poll-question")
    else:
        page.goto(base + (f"/runs/{axe_runs['race']}" if where == "run" else "/"))
    if where != "home":
        page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    page.wait_for_load_state("networkidle")
    controls = page.evaluate(TABBABLE)
    assert len(controls) > 10, controls
    reached: set[str] = set()
    unseen = []
    for _ in range(len(controls) + 10):  # a cycle, and a few more (the address bar is not in the page)
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["id"]:
            reached.add(focus["id"])
            if not focus["seen"]:
                unseen.append(focus["el"])
    page.close()
    missed = [c for i, c in enumerate(controls) if str(i) not in reached]
    assert not missed, f"never reached by Tab: {missed}"
    assert not unseen, f"focus not visible on: {sorted(set(unseen))}"


def said(page: Any, words: str) -> str:
    """Wait until the page's live region (static/js/announce.js, #announce) says `words`; its text."""
    page.wait_for_function(
        "(w) => (document.getElementById('announce')?.textContent || '').includes(w)",
        arg=words,
        timeout=10_000,
    )
    return str(page.locator("#announce").text_content())


def test_replay_zoom_and_polls_are_announced(
    live_server: Any, axe_runs: dict[str, str], chromium: Any
) -> None:
    """A screen reader hears the timeline's new window after a zoom, the replay pausing on a step (and
    where), leaving replay, and a poll opening and closing on a follower's page: one polite live region."""
    base = live_server.url
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{base}/runs/{axe_runs['race']}")
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    region = page.locator("#announce")
    assert region.get_attribute("aria-live") == "polite"
    assert region.bounding_box()["width"] <= 1  # read, not drawn
    page.locator(".tl-canvas").focus()
    page.keyboard.press("+")
    assert "Timeline:" in said(page, "Timeline:")
    page.locator(".rb-next").click()
    assert "Replay paused at" in said(page, "event 1 of")
    page.locator(".rb-next").click()
    assert "event 2 of" in said(page, "event 2 of")
    page.locator(".rb-exit").click()
    said(page, "Replay off")
    page.close()

    p = post_json(f"{base}/api/present", {})
    key = {"X-Presenter-Key": p["key"]}
    post_json(f"{base}/api/present/{p['code']}/view", {"path": f"/runs/{axe_runs['race']}"}, key)
    ctx = chromium.new_context(viewport={"width": 390, "height": 844})
    ctx.add_init_script("localStorage.setItem('mpscope.lang', 'zh')")
    follower = ctx.new_page()
    follower.goto(f"{base}/join/{p['code']}")
    follower.wait_for_selector("#presence[data-mode=follow]", state="attached")
    post_json(f"{base}/api/present/{p['code']}/poll", {"question": "How many were lost?"}, key)
    assert "投票開始：How many were lost?" in said(follower, "投票開始")
    post_json(f"{base}/api/present/{p['code']}/poll/close", {}, key)
    said(follower, "投票結束")
    ctx.close()


def test_page_titles_follow_the_language(live_server: Any, axe_runs: dict[str, str], chromium: Any) -> None:
    """The window's title (what a screen reader says first, and the tab's name) and the lessons' titles
    (run header, menu, home cards) are in the page's language, and change with it."""
    base = live_server.url
    ctx = chromium.new_context(viewport={"width": 1280, "height": 720})
    ctx.add_init_script("localStorage.setItem('mpscope.lang', 'zh')")
    page = ctx.new_page()
    run = axe_runs["race"]
    page.goto(f"{base}/runs/{run}")
    # the run's own title first, the lesson's once its description has loaded
    page.wait_for_function("() => document.title.startsWith('Lock：共享計數器的更新遺失 · 執行 ')")
    assert page.locator(".rh-title").text_content() == "Lock：共享計數器的更新遺失"
    assert page.locator("[data-scenario-id=queue] .scn-link-title").text_content() == "Queue：生產者與消費者"
    page.locator("#lang-en").click()
    page.wait_for_function("(id) => document.title.includes('run ' + id)", arg=run)
    assert page.locator(".rh-title").text_content() == "Lock: lost updates on a shared counter"
    assert (
        page.locator("[data-scenario-id=queue] .scn-link-title").text_content()
        == "Queue: producers and consumers"
    )
    page.locator("#lang-zh").click()
    page.wait_for_function("(id) => document.title.includes('執行 ' + id)", arg=run)
    page.goto(f"{base}/")
    page.wait_for_selector(".home-card-title")
    assert "Pool：map、imap 與 imap_unordered" in (page.locator("#home-cards").text_content() or "")
    page.goto(f"{base}/compare?a={run}&b={axe_runs['queue']}")
    page.wait_for_function("() => document.title.includes('對比')")
    assert " vs " not in page.title(), page.title()
    ctx.close()
