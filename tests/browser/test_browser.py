"""The dashboard in a real headless Chromium: run the race scenario without and with a Lock.

Uses the `live_server` fixture (tests/conftest.py: a real uvicorn, `.url` like "http://127.0.0.1:PORT").
Everything is checked through what a person sees plus the dashboard's test hooks:

- `mp-timeline[data-lanes]`: lanes drawn on the canvas; `[data-ended]` "true" once run.end is drawn
- `#run-header[data-status]`: the run's status
- `[data-view=race]` with `data-lost`, `data-expected`, `data-actual`, `data-final`

The page runs under the app's Content-Security-Policy, so no in-page string evaluation
(`wait_for_function("...")` is refused); waits use selectors. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, expect, get_json, race_from_events

pytestmark = pytest.mark.browser

WORKERS = 4
INCREMENTS = 2000


def run_race(
    b: Browser, base: str, *, use_lock: bool, shot: str, increments: int = INCREMENTS
) -> tuple[str, Any]:
    """Pick race, set the parameters, press Run, wait for the end; returns (run id, panel locator)."""
    page = b.page
    page.goto(f"{base}/")
    page.locator("a.scn-link[data-scenario-id=race]").click()
    page.wait_for_url(re.compile(r"/scenarios/race$"))
    page.locator("#param-workers").fill(str(WORKERS))
    page.locator("#param-increments").fill(str(increments))
    page.locator("#param-use_lock").set_checked(use_lock)
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()

    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.wait_for_selector("#run-header[data-status=succeeded]", timeout=RUN_TIMEOUT_MS)
    panel = page.locator("[data-view=race][data-final=true]")
    panel.wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector("mp-timeline[data-ended=true]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot))
    return run_id, panel


def assert_timeline_drawn(page: Any) -> None:
    timeline = page.locator("mp-timeline")
    assert timeline.get_attribute("data-lanes") == str(WORKERS + 1)  # main + one lane per worker
    # Ticks and bars are bright on the dark theme: some of the lanes' plot area must be lit.
    # (evaluate goes through the DevTools protocol, which the page's CSP does not restrict)
    lit = page.evaluate(
        """() => {
          const c = document.querySelector('mp-timeline canvas');
          const x0 = Math.floor(c.width * 0.3), y0 = Math.floor(c.height * 0.15);
          const d = c.getContext('2d').getImageData(x0, y0, c.width - x0, c.height - y0).data;
          let bright = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (0.3 * d[i] + 0.6 * d[i + 1] + 0.1 * d[i + 2] > 110) bright++;
          }
          return bright / (d.length / 4);
        }"""
    )
    # An empty plot is fully dark (0%); a drawn race lights a few percent, less when it is spread out.
    assert lit > 0.004, f"only {lit:.2%} of the timeline's plot is lit"


def test_race_without_lock_shows_the_lost_updates(live_server: Any, browser: Browser) -> None:
    run_id, panel = run_race(browser, live_server.url, use_lock=False, shot="race-no-lock.png")
    run = get_json(f"{live_server.url}/api/runs/{run_id}")
    # What the panel must show, from the events: the increments the workers reported, the final value.
    story = race_from_events(get_json(f"{live_server.url}/api/runs/{run_id}/events"))
    assert story["increments"] == {f"Process-{i}": INCREMENTS for i in range(WORKERS)}
    expected, actual, lost = story["expected"], story["actual"], story["lost"]
    result = run["result"]
    assert (result["expected"], result["actual"], result["lost"]) == (expected, actual, lost)
    assert int(panel.get_attribute("data-lost")) == lost
    assert int(panel.get_attribute("data-expected")) == expected
    assert int(panel.get_attribute("data-actual")) == actual
    verdict = f"Lost updates: {lost:,}" if lost else "No lost updates"
    expect(panel.locator(".race-verdict")).to_contain_text(verdict)
    assert_timeline_drawn(browser.page)

    # Back returns to the scenario form, forward to the run.
    browser.page.go_back()
    browser.page.wait_for_url(re.compile(r"/scenarios/race$"))
    expect(browser.page.get_by_role("button", name=re.compile(r"\bRun\b"))).to_be_visible()
    browser.page.go_forward()
    browser.page.wait_for_selector("[data-view=race][data-final=true]")
    assert browser.errors == []


def test_race_with_lock_loses_nothing(live_server: Any, browser: Browser) -> None:
    run_id, panel = run_race(browser, live_server.url, use_lock=True, shot="race-lock.png")
    run = get_json(f"{live_server.url}/api/runs/{run_id}")
    assert run["result"]["expected"] == run["result"]["actual"] == WORKERS * INCREMENTS

    assert panel.get_attribute("data-lost") == "0"
    expect(panel.locator(".race-verdict")).to_contain_text("No lost updates")
    expect(panel.locator(".race-lock")).to_contain_text("Lock used")
    assert_timeline_drawn(browser.page)
    assert browser.errors == []


# Sizes no other test runs: no locked race of these sizes exists yet, so the view always offers to run it.
COMPARE_INCREMENTS = 1777


def test_race_compares_without_and_with_the_lock(live_server: Any, browser: Browser) -> None:
    page = browser.page
    base = live_server.url
    for _ in range(3):  # losing updates is likely, not certain: a lucky run loses none
        first_id, _ = run_race(
            browser, base, use_lock=False, shot="race-compare-1.png", increments=COMPARE_INCREMENTS
        )
        first = get_json(f"{base}/api/runs/{first_id}")
        lost = race_from_events(get_json(f"{base}/api/runs/{first_id}/events"))["lost"]
        assert first["result"]["lost"] == lost
        if lost > 0:
            break
    assert lost > 0
    versus = page.locator(".race-versus[data-without-lost]:not([hidden])")
    versus.wait_for()
    expect(versus).to_have_attribute("data-with-lost", "")  # no locked run of these sizes yet
    # One click runs the counterpart with the Lock, and opens it.
    versus.get_by_role("button", name=re.compile("with the Lock")).click()
    page.wait_for_url(re.compile(r"/runs/(?!" + first_id + r")[0-9a-f]+$"))
    second_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.wait_for_selector("#run-header[data-status=succeeded]", timeout=RUN_TIMEOUT_MS)
    second = get_json(f"{base}/api/runs/{second_id}")
    assert second["params"] == {**first["params"], "use_lock": True}
    assert race_from_events(get_json(f"{base}/api/runs/{second_id}/events"))["lost"] == 0
    box = page.locator(".race-versus[data-with-lost='0']")
    box.wait_for(timeout=RUN_TIMEOUT_MS)
    assert box.get_attribute("data-without-lost") == str(lost)
    link = box.locator("a.vs-compare")
    assert link.get_attribute("href") == f"/compare?a={first_id}&b={second_id}"
    page.screenshot(path=str(ARTIFACTS / "race-compare.png"))
    assert browser.errors == []
