"""The basics lessons in a real headless Chromium: processes, shared_memory and pool.

Each test opens /scenarios/<id>, picks a preset (or keeps the defaults), presses Run, waits for the
timeline to draw run.end, then checks the scenario's panel through its data-* hooks and saves
tests/artifacts/scenario-<id>.png. Fixtures come from tests/conftest.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.scenarios.shared_memory import slices
from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, expect, get_json

pytestmark = pytest.mark.browser


def run_scenario(
    b: Browser, base: str, scenario: str, preset: str | None, shot: str = "", during: str = "", **fields: Any
) -> tuple[str, Any]:
    """Open the scenario, apply the preset and fields, press Run, wait for the end; (run id, panel)."""
    page = b.page
    page.goto(f"{base}/scenarios/{scenario}")
    if preset:
        page.locator(f"button.preset[data-preset='{preset}']").click()
    for name, value in fields.items():
        page.locator(f"#param-{name}").fill(str(value))
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    if during:  # something the panel must show while the run is still going
        page.wait_for_selector(f"[data-view={scenario}]{during}", timeout=20_000)
        assert page.locator("mp-timeline[data-ended=true]").count() == 0
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=RUN_TIMEOUT_MS)
    panel = page.locator(f"[data-view={scenario}][data-final=true]")
    panel.wait_for(timeout=10_000)
    page.wait_for_timeout(300)  # one more animation frame for the last render
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / (shot or f"scenario-{scenario}.png")))
    return run_id, panel


def test_processes_tutorial_shows_every_lifecycle(live_server: Any, browser: Browser) -> None:
    # The three sleep side by side: all of them are running at once, before any has exited.
    during = "[data-stages='running,running,running']"
    run_id, panel = run_scenario(browser, live_server.url, "processes", "tutorial", during=during)
    run = get_json(f"{live_server.url}/api/runs/{run_id}")
    assert run["status"] == "succeeded"
    assert panel.get_attribute("data-stages") == "joined,joined,joined"
    assert panel.get_attribute("data-exitcodes") == "0,0,0"
    assert panel.get_attribute("data-start-method") == run["start_method"] == run["result"]["start_method"]
    shown = [float(x) for x in (panel.get_attribute("data-start-ms") or "").split(",")]
    assert shown == run["result"]["start_ms"]
    assert float(panel.get_attribute("data-mean-start-ms") or "nan") == pytest.approx(
        sum(shown) / 3, abs=1e-3
    )
    chips = panel.locator("tr[data-stage=joined] .pv-chip")
    assert chips.count() == 15
    expect(panel.locator(".pv-done")).to_contain_text("所有進程執行完畢")
    assert browser.errors == []


def test_shared_memory_cells_light_up_by_writer(live_server: Any, browser: Browser) -> None:
    during = ":has(.shm-cell.written):has(.shm-cell:not(.written))"  # the grid fills while we watch
    run_id, panel = run_scenario(browser, live_server.url, "shared_memory", None, during=during, delay_ms=200)
    run = get_json(f"{live_server.url}/api/runs/{run_id}")
    size, workers = run["params"]["size"], run["params"]["workers"]
    assert run["result"]["array"] == run["result"]["expected_array"]
    assert panel.get_attribute("data-match") == "true"
    assert panel.get_attribute("data-written") == str(size)
    owners = [str(w) for w, (a, b) in enumerate(slices(size, workers)) for _ in range(a, b)]
    assert (panel.get_attribute("data-writers") or "").split(",") == owners  # coloured by who wrote it
    assert (
        panel.get_attribute("data-value")
        == str(run["result"]["value"])
        == str(sum(i * i for i in range(size)))
    )
    assert panel.locator(".shm-cell.written").count() == size
    expect(panel.locator(".shm-verdict")).to_contain_text("✓")
    assert browser.errors == []


def test_pool_tutorial_spreads_tasks_and_returns_in_order(live_server: Any, browser: Browser) -> None:
    # While tasks run, map() has handed back nothing yet.
    during = ":has(.pl-task.running):not(:has(.pl-res))"
    run_id, panel = run_scenario(browser, live_server.url, "pool", "tutorial", during=during)
    run = get_json(f"{live_server.url}/api/runs/{run_id}")
    assert run["result"]["results"] == [i * i for i in range(10)]
    assert panel.get_attribute("data-method") == "map"
    assert panel.get_attribute("data-workers") == "4"
    counts = dict(c.rsplit(":", 1) for c in (panel.get_attribute("data-counts") or "").split(","))
    assert {k: int(v) for k, v in counts.items() if int(v)} == {
        k: len(v) for k, v in run["result"]["tasks_by_worker"].items()
    }
    assert panel.get_attribute("data-result-order") == ",".join(map(str, range(10)))
    assert panel.get_attribute("data-out-of-order") == "0"
    assert panel.locator(".pl-res").count() == 10
    assert browser.errors == []


def test_pool_imap_unordered_highlights_out_of_order(live_server: Any, browser: Browser) -> None:
    # Uneven tasks (task 1 sleeps twice as long as task 3) finish out of task order.
    run_id, panel = run_scenario(browser, live_server.url, "pool", "unordered", "scenario-pool-unordered.png")
    run = get_json(f"{live_server.url}/api/runs/{run_id}")
    order = run["result"]["result_order"]
    assert panel.get_attribute("data-result-order") == ",".join(map(str, order))
    overtook = sum(1 for i, task in enumerate(order) if any(t < task for t in order[i + 1 :]))
    assert overtook > 0 and panel.get_attribute("data-out-of-order") == str(overtook)
    assert panel.locator(".pl-res.ooo").count() == overtook
    panel.locator(".pl-workers").scroll_into_view_if_needed()
    browser.page.screenshot(path=str(ARTIFACTS / "scenario-pool-workers.png"))
    assert browser.errors == []
