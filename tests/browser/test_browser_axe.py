"""Accessibility: axe-core (static/vendor/axe-core-*, for tests only) on every page, in English and
Chinese, in the dark and the projector theme: home, a scenario, a run, a traced run, the compare page,
a presenter's run page with an open poll and a follower's page with it. No critical and no serious
violation. Also: keyboard focus is visible (an outline) on the controls a teacher tabs to.
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


@pytest.mark.parametrize("theme", ["dark", "projector"])
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
            ctx = chromium.new_context(viewport={"width": 1280, "height": 720})
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


def test_keyboard_focus_is_visible(live_server: Any, axe_runs: dict[str, str], chromium: Any) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{live_server.url}/runs/{axe_runs['race']}")
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    unseen = []
    for _ in range(25):
        page.keyboard.press("Tab")
        style = page.evaluate(
            """() => {
              const el = document.activeElement;
              const cs = getComputedStyle(el);
              return {el: el.tagName + '.' + el.className, outline: cs.outlineStyle, width: cs.outlineWidth,
                      shadow: cs.boxShadow};
            }"""
        )
        if style["outline"] in ("none", "") and style["shadow"] in ("none", ""):
            unseen.append(style["el"])
    page.close()
    assert not unseen, f"focus not visible on: {unseen}"
