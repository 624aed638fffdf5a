"""The Edit and run pages on a projector and a phone, and axe-core on them, in a real headless Chromium.

- 1280x720, dark and projector, English and Chinese: the editor page (/code/new, a lesson's program, a
  failed run's program with its line marked) is one screen (no document scroll) with the editor, Run and
  the console inside the window; a code run's page too.
- 390x844 (a phone): no sideways scroll on those pages.
- axe-core (static/vendor/axe-core-*, as tests/browser/test_browser_axe.py runs it): no critical and no
  serious violation on the editor pages, a code run's page and the compare page of two code runs.
Screenshots: tests/artifacts/code-layout-*.png.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.pages import post_json, run_axe
from tests.helpers import ARTIFACTS, chromium, get_json, wait_finished

pytestmark = pytest.mark.browser
WAIT = 30_000  # hang guard for a page to load (a second or two)
FAILING = 'print("before")\nx = 1 // 0\n'

MEASURE = """() => {
  const box = (sel) => {
    const el = document.querySelector(sel);
    if (!el || !el.getClientRects().length) return null;
    const r = el.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right};
  };
  return {
    innerHeight, innerWidth,
    scrollHeight: document.scrollingElement.scrollHeight,
    scrollWidth: document.scrollingElement.scrollWidth,
    editor: box("#page-code .code-editor"), run: box("[data-testid=code-run]"),
    console: box("#page-code .code-console"),
    runConsole: box("#run-console"),
  };
}"""


@pytest.fixture(scope="module")
def code_runs(live_server: Any) -> dict[str, str]:
    base = live_server.url
    program = get_json(f"{base}/api/scenarios/race")["program"]
    out = {
        "plain": post_json(f"{base}/api/runs", {"source": program})["id"],
        "locked": post_json(
            f"{base}/api/runs",
            {
                "source": program.replace(
                    "        counter.value += 1", "        with lock:\n            counter.value += 1"
                )
            },
        )["id"],
        "failed": post_json(f"{base}/api/runs", {"source": FAILING})["id"],
    }
    for run_id in out.values():
        wait_finished(live_server, run_id)
    return out


@pytest.fixture(name="chromium")
def chromium_fixture() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def new_page(chromium: Any, width: int, height: int, *, theme: str = "", lang: str = "") -> Any:
    ctx = chromium.new_context(viewport={"width": width, "height": height})
    init = []
    if theme:
        init.append(f"localStorage.setItem('mpscope.theme', {json.dumps(theme)});")
    if lang:
        init.append(f"localStorage.setItem('mpscope.lang', {json.dumps(lang)});")
    if init:
        ctx.add_init_script("\n".join(init))
    page = ctx.new_page()
    page.set_default_timeout(WAIT)
    return page


def pages(runs: dict[str, str]) -> dict[str, str]:
    return {
        "new": "/code/new",
        "lesson": "/code/scenarios/race",
        "failed": f"/code/runs/{runs['failed']}",
        "run": f"/runs/{runs['locked']}",
        "run-failed": f"/runs/{runs['failed']}",
    }


def settle(page: Any, path: str) -> None:
    if path.startswith("/code/"):
        page.locator("#page-code[data-ready=true]").wait_for()
    else:
        page.locator("mp-timeline[data-ended=true]").wait_for()
        page.locator("#run-console:not([hidden])").wait_for()
    page.wait_for_timeout(200)  # a frame or two for the layout after the last load (not an assertion)


def inside(b: dict[str, float] | None, m: dict[str, Any], what: str) -> list[str]:
    if b is None:
        return [f"{what} not shown"]
    if b["top"] < 0 or b["bottom"] > m["innerHeight"] + 0.5 or b["right"] > m["innerWidth"] + 0.5:
        return [f"{what} outside the window: {b}"]
    return []


@pytest.mark.parametrize("theme", ["", "projector"])
def test_editor_pages_fit_a_projector(
    live_server: Any, code_runs: dict[str, str], chromium: Any, theme: str
) -> None:
    failures = {}
    for lang in ("en", "zh"):
        page = new_page(chromium, 1280, 720, theme=theme, lang=lang)
        for name, path in pages(code_runs).items():
            page.goto(f"{live_server.url}{path}")
            settle(page, path)
            m = page.evaluate(MEASURE)
            problems = []
            if m["scrollHeight"] > m["innerHeight"]:
                problems.append(f"document scrolls: {m['scrollHeight']} > {m['innerHeight']}")
            if m["scrollWidth"] > m["innerWidth"]:
                problems.append(f"sideways: {m['scrollWidth']} > {m['innerWidth']}")
            if path.startswith("/code/"):
                for part in ("editor", "run", "console"):
                    problems += inside(m[part], m, part)
            else:
                problems += inside(m["runConsole"], m, "console")
            if path.startswith("/code/runs/"):
                if page.locator(".cm-line[data-error-line='2']").count() != 1:
                    problems.append("the traceback's line is not marked")
            if problems:
                failures[f"{name} {lang} {theme or 'dark'}"] = problems
            page.screenshot(path=str(ARTIFACTS / f"code-layout-1280x720-{name}-{lang}-{theme or 'dark'}.png"))
        page.context.close()
    assert not failures, failures


def test_no_editor_page_scrolls_sideways_on_a_phone(
    live_server: Any, code_runs: dict[str, str], chromium: Any
) -> None:
    wide = {}
    for lang in ("en", "zh"):
        page = new_page(chromium, 390, 844, lang=lang)
        for name, path in pages(code_runs).items():
            page.goto(f"{live_server.url}{path}")
            settle(page, path)
            m = page.evaluate(MEASURE)
            if m["scrollWidth"] > m["innerWidth"]:
                wide[f"{name} {lang}"] = f"scrollWidth {m['scrollWidth']} > {m['innerWidth']}"
            if name in ("lesson", "run-failed"):
                page.screenshot(path=str(ARTIFACTS / f"code-layout-390x844-{name}-{lang}.png"))
        page.context.close()
    assert not wide, wide


@pytest.mark.parametrize("theme", ["", "projector"])
def test_no_serious_accessibility_violations_on_the_editor_pages(
    live_server: Any, code_runs: dict[str, str], chromium: Any, theme: str
) -> None:
    found = {}
    for lang in ("en", "zh"):
        page = new_page(chromium, 1280, 720, theme=theme, lang=lang)
        for name, path in pages(code_runs).items():
            page.goto(f"{live_server.url}{path}")
            settle(page, path)
            violations = run_axe(page)
            if violations:
                found[f"{name} {lang}"] = violations
        page.goto(f"{live_server.url}/compare?a={code_runs['plain']}&b={code_runs['locked']}")
        page.locator("#cmp-table[data-ready=true]").wait_for()
        page.locator("#cmp-diff:not([hidden])").wait_for()
        violations = run_axe(page)
        if violations:
            found[f"compare {lang}"] = violations
        page.context.close()
    assert not found, found
