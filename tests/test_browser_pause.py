"""'Pause all workers' from the dashboard: the run's processes really stop, then finish when resumed."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser

pytestmark = pytest.mark.browser


def test_pause_and_resume_workers_from_the_run_page(live_server: Any, browser: Browser) -> None:
    # Long enough (about 10 s) that a loaded machine's slow page load cannot outlast the run.
    body = {"scenario": "race", "params": {"workers": 3, "increments": 1000, "delay_ms": 10}}
    run_id = httpx.post(f"{live_server.url}/api/runs", json=body).json()["id"]
    page = browser.page
    page.goto(f"{live_server.url}/runs/{run_id}")
    page.wait_for_selector("mp-timeline[data-lanes='4']", timeout=20_000)
    page.get_by_role("button", name=re.compile("Pause workers")).click()
    page.wait_for_selector("#run-header[data-paused=true]", timeout=10_000)
    time.sleep(0.5)  # what was reported before the pause lands
    before = httpx.get(f"{live_server.url}/api/runs/{run_id}").json()
    time.sleep(1.0)
    after = httpx.get(f"{live_server.url}/api/runs/{run_id}").json()
    assert before["paused"] and after["status"] == "running"
    assert after["event_count"] == before["event_count"], "the workers kept going while paused"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "paused.png"))
    page.get_by_role("button", name=re.compile("Resume workers")).click()
    page.wait_for_selector("#run-header[data-status=succeeded]", timeout=RUN_TIMEOUT_MS)
    run = httpx.get(f"{live_server.url}/api/runs/{run_id}").json()
    assert not run["paused"] and run["result"]["lost"] == run["result"]["expected"] - run["result"]["actual"]
    assert browser.errors == []
