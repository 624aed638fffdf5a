"""Lecture mode in a real headless Chromium: replay of a finished run, keyboard shortcuts, projector theme.

The run is the race tutorial preset (5 workers, +1 each, with the Lock, 100 ms inside it), started over
REST. Hooks: `#replay-bar` with `data-state` (off | paused | playing), `data-cursor-index` (events shown),
`data-cursor-seq`, `data-cursor-t`, `data-total`; the race view's displayed counter (`.race-value`).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ARTIFACTS, RACE_TUTORIAL, Browser, expect, get_json, post_json

pytestmark = pytest.mark.browser


def cursor(page: Any) -> dict[str, Any]:
    data = page.evaluate("() => ({ ...document.getElementById('replay-bar').dataset })")
    numbers = {k: int(data[k]) for k in ("cursorIndex", "cursorSeq", "cursorT", "total")}
    return numbers | {"state": data["state"]}


def writes_by(events: list[dict[str, Any]], *, seq: int) -> int:
    return sum(1 for ev in events if ev["kind"] == "value.write" and ev["seq"] <= seq)


def writes_until(events: list[dict[str, Any]], *, t: int) -> int:
    return sum(1 for ev in events if ev["kind"] == "value.write" and ev["t"] <= t)


def check_counter(page: Any, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The race view's counter is the number of writes up to the cursor (with the Lock, one per write)."""
    c = cursor(page)
    expected = writes_by(events, seq=c["cursorSeq"])
    # (Counted by seq, as replay feeds events: arrival order across processes may differ from t order.)
    expect(page.locator("[data-view=race] .race-value")).to_have_text(str(expected))
    return c


def test_replay_steps_scrubs_and_lecture_keys(live_server: Any, browser: Browser) -> None:
    page = browser.page
    base = live_server.url
    run = post_json(f"{base}/api/runs", {"scenario": "race", "params": RACE_TUTORIAL})
    page.goto(f"{base}/runs/{run['id']}")
    bar = page.locator("#replay-bar")
    expect(bar).to_be_visible(timeout=60_000)  # shown once run.end is in
    expect(page.locator("#run-header")).to_have_attribute("data-status", "succeeded")
    events = get_json(f"{base}/api/runs/{run['id']}/events")
    final = get_json(f"{base}/api/runs/{run['id']}")["result"]["actual"]
    assert final == 5 == writes_by(events, seq=events[-1]["seq"])
    expect(bar).to_have_attribute("data-state", "off")
    expect(bar).to_have_attribute("data-total", str(len(events)))

    # Play at 10x, pause with the button.
    bar.locator(".rb-speed").select_option("10")
    play = bar.locator(".rb-play")
    play.click()
    expect(bar).to_have_attribute("data-state", "playing")
    if cursor(page)["state"] == "playing":
        play.click()
    expect(bar).to_have_attribute("data-state", "paused")
    expect(page.locator("mp-timeline")).not_to_have_attribute("data-cursor-t", "")
    c = check_counter(page, events)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "replay-paused.png"))

    # Arrow keys step one event (from the end, ← first).
    if c["cursorIndex"] == c["total"]:
        page.keyboard.press("ArrowLeft")
        expect(bar).to_have_attribute("data-cursor-index", str(c["total"] - 1))
        c = check_counter(page, events)
    page.keyboard.press("ArrowRight")
    expect(bar).to_have_attribute("data-cursor-index", str(c["cursorIndex"] + 1))
    after = check_counter(page, events)
    assert after["cursorSeq"] == events[c["cursorIndex"]]["seq"]

    # Scrub to the start, the middle and the end.
    scrub = bar.locator(".rb-scrub")
    scrub.fill(scrub.get_attribute("min") or "0")
    expect(bar).to_have_attribute("data-cursor-t", str(events[0]["t"]))
    c = check_counter(page, events)
    expect(page.locator("[data-view=race] .race-value")).to_have_text("0")
    assert c["cursorIndex"] < 5
    writes = [ev for ev in events if ev["kind"] == "value.write"]
    mid = (writes[2]["t"] + writes[3]["t"]) // 2  # between the third and the fourth write
    scrub.fill(str(mid))
    expect(page.locator("[data-view=race] .race-value")).to_have_text("3")
    check_counter(page, events)
    page.screenshot(path=str(ARTIFACTS / "replay-mid.png"))
    scrub.fill(scrub.get_attribute("max") or "0")
    expect(bar).to_have_attribute("data-cursor-index", str(len(events)))
    check_counter(page, events)
    expect(page.locator("[data-view=race]")).to_have_attribute("data-actual", str(final))
    expect(page.locator("[data-view=race]")).to_have_attribute("data-final", "true")

    # Space on a focused button plays or pauses, once (not also a click on that button).
    bar.locator(".rb-speed").select_option("0.1")
    scrub.fill(str(mid))
    bar.locator(".rb-next").focus()
    page.keyboard.press(" ")
    expect(bar).to_have_attribute("data-state", "playing")
    page.keyboard.press(" ")
    expect(bar).to_have_attribute("data-state", "paused")

    # Click the second lane's label (the first worker): "next of" steps through that lane's events.
    timeline = page.locator("mp-timeline")
    box = timeline.locator("canvas").bounding_box()
    assert box
    lane_h = (box["height"] - 36) / int(timeline.get_attribute("data-lanes") or "1")
    page.mouse.click(box["x"] + 20, box["y"] + 34 + lane_h * 1.5)
    expect(timeline).not_to_have_attribute("data-selected-lane", "")
    lane = timeline.get_attribute("data-selected-lane") or ""
    expect(bar).to_have_attribute("data-lane", lane)
    scrub.fill(scrub.get_attribute("min") or "0")
    expect(bar).to_have_attribute("data-cursor-t", str(events[0]["t"]))
    mine = [ev for ev in events if f"{ev['pid']}/{ev['proc']}" == lane and not ev["kind"].startswith("run.")]
    assert len(mine) >= 3
    for ev in mine[:3]:
        bar.locator(".rb-next-lane").click()
        expect(bar).to_have_attribute("data-cursor-seq", str(ev["seq"]))
    check_counter(page, events)
    page.screenshot(path=str(ARTIFACTS / "replay-lane.png"))

    # Leave replay: everything again.
    bar.locator(".rb-exit").click()
    expect(bar).to_have_attribute("data-state", "off")
    expect(page.locator("mp-timeline")).to_have_attribute("data-cursor-t", "")
    expect(page.locator("mp-timeline")).to_have_attribute("data-events", str(len(events)))
    expect(page.locator("[data-view=race] .race-value")).to_have_text(str(final))

    # p: projector theme, remembered; ?: the help, Esc closes it.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("p")
    expect(page.locator("html")).to_have_class("theme-projector")
    expect(page.locator("#theme-toggle")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator("html")).to_have_class("theme-projector")
    expect(bar).to_be_visible(timeout=30_000)
    scrub.fill(str(mid))
    expect(page.locator("[data-view=race] .race-value")).to_have_text("3")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=str(ARTIFACTS / "projector-theme.png"))
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "replay-help.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#help-dialog")).to_be_hidden()
    page.keyboard.press("p")
    expect(page.locator("html")).not_to_have_class("theme-projector")
    assert browser.errors == []
