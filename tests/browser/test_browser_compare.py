"""/compare?a=..&b=..: a race without and with the Lock, stacked on one time axis, with a summary.

Both runs are started over REST; the page is checked through its test hooks (static/js/compare.js):
`.cmp-run[data-run]`, each `mp-timeline[data-lanes][data-t0][data-ns-per-px]`,
`#cmp-table[data-ready=true]` with `tr[data-metric] td[data-side][data-value]`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import (
    ARTIFACTS,
    Browser,
    expect,
    get_json,
    race_from_events,
    start_run,
    wait_finished,
    wait_until,
)

pytestmark = pytest.mark.browser

WORKERS = 3
INCREMENTS = 1000


UI_HANG_GUARD_S = 10  # 10x+ the time the two timelines take to follow each other (well under 1 s)


def finished_race(base: str, *, use_lock: bool) -> dict[str, Any]:
    run_id = start_run(base, "race", workers=WORKERS, increments=INCREMENTS, use_lock=use_lock)
    run = wait_finished(base, run_id)
    assert run["status"] == "succeeded", run
    return run


def cell(page: Any, metric: str, side: str) -> Any:
    return page.locator(f"#cmp-table tr[data-metric='{metric}'] td[data-side={side}]")


def test_compare_race_without_and_with_the_lock(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    for _ in range(3):  # losing updates is likely, not certain: a lucky run loses none
        unlocked = finished_race(base, use_lock=False)
        if unlocked["result"]["lost"] > 0:
            break
    assert unlocked["result"]["lost"] > 0
    locked = finished_race(base, use_lock=True)
    page = browser.page
    page.goto(f"{base}/compare?a={unlocked['id']}&b={locked['id']}")
    page.wait_for_selector("#cmp-table[data-ready=true]")

    for side, run in (("a", unlocked), ("b", locked)):
        section = page.locator(f".cmp-run[data-side={side}]")
        assert section.get_attribute("data-run") == run["id"]
        label = section.locator(".cmp-label")
        expect(label).to_contain_text("race")
        expect(label).to_contain_text(f"use_lock={'true' if side == 'b' else 'false'}")
        expect(label).to_contain_text(run["start_method"])
        page.wait_for_selector(f"#timeline-{side}[data-lanes='{WORKERS + 1}']")

    # Summary: lost updates from the events' run.end result, as the API reports them.
    for side, run in (("a", unlocked), ("b", locked)):
        events = get_json(f"{base}/api/runs/{run['id']}/events")
        lost = race_from_events(events)["lost"]  # from the workers' increments and the final value read
        assert run["result"]["lost"] == lost
        assert cell(page, "lost", side).get_attribute("data-value") == str(lost)
        assert cell(page, "events", side).get_attribute("data-value") == str(len(events))
        end = next(ev for ev in events if ev["kind"] == "run.end")
        assert cell(page, "duration", side).get_attribute("data-value") == str(end["t"])
    assert int(cell(page, "lost", "a").get_attribute("data-value")) > 0
    assert cell(page, "lost", "b").get_attribute("data-value") == "0"
    assert "better" in (cell(page, "lost", "b").get_attribute("class") or "")
    assert "better" not in (cell(page, "lost", "a").get_attribute("class") or "")
    assert float(cell(page, "lockwait", "b").get_attribute("data-value")) > 0

    # One time axis: both fit the longer run the same way, and zooming A zooms B with it.
    a, b = page.locator("#timeline-a"), page.locator("#timeline-b")

    def view(tl: Any) -> tuple[str | None, str | None]:
        return tl.get_attribute("data-t0"), tl.get_attribute("data-ns-per-px")

    assert view(a) == view(b)
    before = view(a)
    a.get_by_role("button", name="Zoom in").click()
    a.get_by_role("button", name="Zoom in").click()
    wait_until(lambda: view(a) == view(b) != before, UI_HANG_GUARD_S, f"B follows A's zoom from {before}")
    assert int(view(a)[1] or 0) < int(before[1] or 0)
    # Dragging B pans A too.
    box = b.locator("canvas").bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, y, steps=5)
    page.mouse.up()
    zoomed = view(b)
    wait_until(lambda: view(a) == view(b), UI_HANG_GUARD_S, "A follows B's pan")
    assert view(a)[1] == zoomed[1]
    a.get_by_role("button", name="Fit all: show the whole run").click()
    wait_until(lambda: view(a) == view(b) == before, UI_HANG_GUARD_S, "both fit the whole run again")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"))
    assert browser.errors == []


def test_race_view_links_to_compare(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    unlocked = finished_race(base, use_lock=False)
    locked = finished_race(base, use_lock=True)
    page = browser.page
    page.goto(f"{base}/runs/{locked['id']}")
    link = page.locator(".race-versus a.vs-compare")
    link.wait_for()
    assert link.get_attribute("href") == f"/compare?a={unlocked['id']}&b={locked['id']}"
    link.click()
    page.wait_for_selector("#cmp-table[data-ready=true]")
    assert page.locator(".cmp-run[data-side=a]").get_attribute("data-run") == unlocked["id"]
    assert browser.errors == []


def test_run_list_links_two_picked_runs(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    first = finished_race(base, use_lock=False)
    second = finished_race(base, use_lock=True)
    page = browser.page
    page.goto(f"{base}/")
    for run in (first, second):
        page.locator(f".run-item[data-run-id='{run['id']}'] .run-pick").check()
    link = page.locator("a.run-compare")
    href = link.get_attribute("href")
    assert href == f"/compare?a={first['id']}&b={second['id']}"
    link.click()
    page.wait_for_selector("#cmp-table[data-ready=true]")
    assert page.locator(".cmp-run[data-side=b]").get_attribute("data-run") == second["id"]
    assert browser.errors == []
