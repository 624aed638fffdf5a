"""The messaging lessons in a real headless Chromium: queue, pipe and manager, each from its preset.

Each test opens /scenarios/<id>, clicks a preset, presses Run, waits for the timeline to end, checks
the scenario's own panel through its data-* hooks, and saves tests/artifacts/scenario-<id>.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, expect, get_json

pytestmark = pytest.mark.browser


def run_preset(
    b: Browser, base: str, scenario: str, preset: str, shot: str = ""
) -> tuple[dict[str, Any], Any]:
    """Open the scenario, pick the preset, press Run, wait for the end; returns (run, view locator)."""
    page = b.page
    page.goto(f"{base}/scenarios/{scenario}")
    page.locator(f"button.preset[data-preset='{preset}']").click()
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=RUN_TIMEOUT_MS)
    view = page.locator(f"[data-view={scenario}][data-final=true]")
    view.wait_for(timeout=10_000)  # the run has ended: its result is in the view at once
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / (shot or f"scenario-{scenario}.png")))
    run = get_json(f"{base}/api/runs/{run_id}")
    assert run["status"] == "succeeded", run
    return run, view


def test_queue_tutorial_every_item_once(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "queue", "tutorial")
    result = run["result"]
    assert result["produced"] == result["consumed"] == 5
    assert view.get_attribute("data-produced") == view.get_attribute("data-consumed") == "5"
    assert view.get_attribute("data-maxsize") == "5"
    assert view.get_attribute("data-depth") == "0"  # everything was taken out again
    assert view.get_attribute("data-lost") == view.get_attribute("data-duplicated") == "0"
    expect(view.locator(".q-verdict")).to_contain_text("All 5 items arrived exactly once")
    assert view.locator(".q-proc").count() == 2  # producer-0 and consumer-0
    assert browser.errors == []


def test_queue_backpressure_shows_blocked_producers(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(
        browser, live_server.url, "queue", "backpressure", "scenario-queue-backpressure.png"
    )
    assert run["result"]["max_depth"] == 3 and run["result"]["lost"] == []
    assert int(view.get_attribute("data-wait-put") or 0) > 0  # producers blocked on the full queue
    assert view.get_attribute("data-max-depth") == "3"
    expect(view.locator(".q-proc[data-proc^=producer] .q-proc-waits").first).to_contain_text("waited")
    assert browser.errors == []


def test_pipe_tutorial_messages_cross_one_way(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "pipe", "tutorial")
    assert run["result"]["sent"] == run["result"]["received"] == 5
    assert view.get_attribute("data-mode") == "one-way"
    assert view.get_attribute("data-sent") == view.get_attribute("data-received") == "5"
    assert view.get_attribute("data-in-flight") == "0"
    expect(view.locator(".p-verdict")).to_contain_text("All 5 messages arrived")
    expect(view.locator(".p-metric-value")).to_contain_text("s")  # "µs" or "ms": a measured value
    assert browser.errors == []


def test_pipe_ping_pong_shows_the_round_trip(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "pipe", "ping-pong", "scenario-pipe-ping-pong.png")
    result = run["result"]
    assert result["sent"] == result["received"] == result["replies"] == 10
    assert view.get_attribute("data-replies") == "10"
    assert float(view.get_attribute("data-rtt-p50") or 0) == result["round_trip_us_p50"] > 0
    expect(view.locator(".p-verdict")).to_contain_text("came back")
    assert browser.errors == []


def test_manager_tutorial_server_lane_and_call_cost(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "manager", "tutorial")
    result = run["result"]
    assert len(result["list"]) == len(result["dict"]) == 10
    assert view.get_attribute("data-list-len") == view.get_attribute("data-dict-len") == "10"
    assert view.get_attribute("data-calls") == "20"  # 2 workers x 5 ops x (append + setitem)
    assert int(view.get_attribute("data-server-pid") or 0) > 0
    assert float(view.get_attribute("data-proxy-p50") or 0) == result["proxy_call_us_p50"]
    assert float(view.get_attribute("data-value-p50") or 0) == result["value_op_us_p50"]
    expect(view.locator(".m-verdict")).to_contain_text("List has all 10 items")
    expect(view.locator(".m-ratio")).to_contain_text("×")
    assert browser.page.locator("mp-timeline").get_attribute("data-lanes") == "4"  # main, manager, 2 workers
    assert browser.errors == []
