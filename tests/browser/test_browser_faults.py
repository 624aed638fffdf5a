"""Failures as a lecture hall sees them: the failed status, the error naming the process and its
signal, and the worker's own traceback, in the dashboard of a real Chromium."""

from __future__ import annotations

import os
import re
import signal
from typing import Any

import httpx
import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser

pytestmark = pytest.mark.browser

# From the kill to the failed status on the page: ~1-2 s. A hang guard, 10x+ that: hitting it is a bug.
FAULT_HANG_GUARD_MS = 30_000


def test_a_worker_that_raises_shows_failed_with_its_traceback(live_server: Any, browser: Browser) -> None:
    page = browser.page
    page.goto(f"{live_server.url}/scenarios/processes")
    page.locator("button.preset[data-preset='a worker raises']").click()
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    page.wait_for_selector("#run-header[data-status=failed]", timeout=RUN_TIMEOUT_MS)
    error = page.locator(".rh-error")
    error.wait_for()
    text = error.inner_text()
    assert "Process-1" in text and "exited with code 1" in text
    assert "Traceback" in text and "RuntimeError: worker 1 failed halfway through its work" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fault-worker-raises.png"), full_page=True)
    assert browser.errors == []


def test_a_killed_worker_shows_failed_naming_the_signal(live_server: Any, browser: Browser) -> None:
    body = {"scenario": "race", "params": {"workers": 3, "increments": 1000, "delay_ms": 20}}
    run_id = httpx.post(f"{live_server.url}/api/runs", json=body).json()["id"]
    page = browser.page
    page.goto(f"{live_server.url}/runs/{run_id}")
    page.wait_for_selector("mp-timeline[data-lanes='4']", timeout=20_000)  # main + 3 workers, live
    events = httpx.get(f"{live_server.url}/api/runs/{run_id}/events").json()
    victim = next(e for e in events if e["kind"] == "process.start" and e["proc"] == "Process-2")
    os.kill(victim["pid"], signal.SIGKILL)
    page.wait_for_selector("#run-header[data-status=failed]", timeout=FAULT_HANG_GUARD_MS)
    text = page.locator(".rh-error").inner_text()
    assert "Process-2" in text and "SIGKILL" in text
    # Failed at once, as the stream tells: the victim's exit (SIGKILL) before the run's error, and the
    # siblings stopped long before their 3 x 1,000 increments (~20 s).
    events = httpx.get(f"{live_server.url}/api/runs/{run_id}/events").json()
    kinds = [(e["kind"], e["proc"]) for e in events]
    exit_at = kinds.index(("process.exit", "Process-2"))
    assert events[exit_at]["data"]["exitcode"] == -signal.SIGKILL
    assert exit_at < kinds.index(("run.error", "main"))
    assert sum(1 for e in events if e["kind"] == "value.write") < 3 * 1000
    page.screenshot(path=str(ARTIFACTS / "fault-worker-killed.png"))
    assert browser.errors == []
