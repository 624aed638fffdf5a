"""The advanced scenarios' views in a real headless Chromium (Debian's /usr/bin/chromium): each is run
from its scenario page with a preset and the Run button, and its view's data-* hooks are checked against
the run's result. Screenshots go to tests/artifacts/scenario-<id>.png.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, expect, get_json

pytestmark = pytest.mark.browser


def run_preset(b: Browser, base: str, scenario: str, preset: str, shot: str) -> tuple[dict[str, Any], Any]:
    """Open the scenario, pick a preset, press Run, wait for the end; returns (run object, view)."""
    page = b.page
    page.goto(f"{base}/scenarios/{scenario}")
    page.locator(f"button.preset[data-preset='{preset}']").click()
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=RUN_TIMEOUT_MS)
    view = page.locator(f"[data-view={scenario}][data-final=true]")
    view.wait_for(timeout=RUN_TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot))
    run = get_json(f"{base}/api/runs/{run_id}")
    assert run["status"] == "succeeded", run
    return run, view


def test_gil_view_shows_both_jobs_side_by_side(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "gil", "tutorial", "scenario-gil.png")
    r = run["result"]
    for job in ("cpu", "io"):
        for kind in ("threads", "processes"):
            assert float(view.get_attribute(f"data-{job}-{kind}")) == pytest.approx(r[job][f"{kind}_s"])
            col = view.locator(f"[data-job={job}] .gil-col[data-kind={kind}]")
            expect(col.locator(".gil-secs")).to_have_text(f"{r[job][f'{kind}_s']:.2f} s")
    assert view.get_attribute("data-cores") == str(r["cores"])
    expect(view.locator(".gil-machine")).to_contain_text(f"{r['cores']} CPU cores")

    # The GIL, whatever the machine's load: the threads together kept at most one core busy.
    busy = view.locator("[data-job=cpu] .gil-col[data-kind=threads] .gil-busy").get_attribute("data-cores")
    assert float(busy) <= 1.2, busy
    # The verdicts follow the measured seconds.
    cpu = r["cpu"]
    ratio = cpu["threads_s"] / cpu["processes_s"]
    expected = "processes-faster" if ratio >= 1.3 else "about-equal" if ratio > 1 / 1.3 else "threads-faster"
    assert view.get_attribute("data-cpu-verdict") == expected
    if expected == "processes-faster":
        expect(view.locator(".gil-verdict[data-job=cpu]")).to_contain_text("Processes")
        expect(view.locator(".gil-verdict[data-job=cpu]")).to_contain_text("GIL")
    io = r["io"]
    if max(io.values()) < 1.3 * min(io.values()):
        expect(view.locator(".gil-verdict[data-job=io]")).to_contain_text("About equal")
    timeline = browser.page.locator("mp-timeline")
    assert timeline.get_attribute("data-lanes") == str(1 + 4 * r["workers"])  # main + 4 phases of workers
    assert browser.errors == []


def test_deadlock_view_draws_the_cycle_in_red(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "deadlock", "deadlock", "scenario-deadlock.png")
    cycle = run["result"]["cycle"]
    assert run["result"]["deadlocked"] is True
    assert view.get_attribute("data-deadlocked") == "true"
    assert json.loads(view.get_attribute("data-cycle")) == cycle
    assert view.get_attribute("data-edges") == "4"  # 2 "held by" + 2 "waits for"
    assert view.locator(".dl-edge.cycle").count() == 4
    expect(view.locator(".dl-verdict.bad")).to_have_text("Deadlock: A → lock2 → B → lock1 → A")
    assert browser.errors == []


def test_deadlock_view_with_the_fix_shows_no_cycle(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(
        browser, live_server.url, "deadlock", "fixed (lock order)", "scenario-deadlock-fixed.png"
    )
    assert run["result"]["deadlocked"] is False
    assert view.get_attribute("data-deadlocked") == "false"
    assert view.get_attribute("data-cycle") == ""
    assert view.locator(".dl-edge.cycle").count() == 0
    expect(view.locator(".dl-verdict.good")).to_contain_text("No cycle")
    expect(view.locator(".dl-detail")).to_have_text("A: 3 rounds · B: 3 rounds")
    assert browser.errors == []


def test_sync_view_keeps_the_count_under_k(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "sync", "semaphore 2 of 6", "scenario-sync.png")
    r = run["result"]
    assert view.get_attribute("data-limit") == str(r["limit"]) == "2"
    assert int(view.get_attribute("data-max-inside")) == r["max_inside"] <= r["limit"]
    assert view.get_attribute("data-entries") == str(r["entries"])
    assert view.get_attribute("data-arrived") == view.get_attribute("data-passed") == str(r["workers"])
    assert view.locator(".sy-dot.passed").count() == r["workers"]
    expect(view.locator(".sy-verdict.good")).to_contain_text("Never more than k = 2")
    assert view.locator(".sy-chart .sy-line").count() == 1
    assert browser.errors == []


def test_executor_view_shows_the_broken_pool_and_the_timeout(live_server: Any, browser: Browser) -> None:
    run, view = run_preset(browser, live_server.url, "executor", "a worker dies", "scenario-executor.png")
    r = run["result"]
    assert r["broken_pool"] is True
    assert view.get_attribute("data-broken") == "true"
    assert view.get_attribute("data-executor") == view.get_attribute("data-pool") == "error"
    assert view.get_attribute("data-died") == "2"  # one worker in each pool
    expect(view.locator("[data-side=executor] .ex-outcome")).to_have_text("✗ broken")
    expect(view.locator("[data-side=pool] .ex-outcome")).to_have_text("✗ timed out")
    tasks = run["params"]["tasks"]
    assert view.get_attribute("data-pool-done") == str(tasks - 1)  # all but the lost task
    expect(view.locator("[data-side=executor] .ex-detail")).to_have_text("BrokenProcessPool")
    expect(view.locator(".ex-verdict.bad")).to_contain_text("Executor fails fast")
    assert browser.errors == []
