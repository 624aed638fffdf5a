"""'Pause all workers' from the dashboard: the run's processes really stop, then finish when resumed."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from app.events import SERVER_PROC
from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, race_from_events, wait_until

pytestmark = pytest.mark.browser

PAUSE_S = 1.0  # unpaused, the 3 workers below would report ~300 steps in that time
PAUSE_HANG_GUARD_S = 30  # 10x+ the ~1-2 s the pause takes to show up in the stream


def events(base: str, run_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{base}/api/runs/{run_id}/events", timeout=10).json()  # type: ignore[no-any-return]


def test_pause_and_resume_workers_from_the_run_page(live_server: Any, browser: Browser) -> None:
    # Long enough (about 10 s) that a loaded machine's slow page load cannot outlast the run.
    body = {"scenario": "race", "params": {"workers": 3, "increments": 1000, "delay_ms": 10}}
    run_id = httpx.post(f"{live_server.url}/api/runs", json=body).json()["id"]
    # The run's clock (its events' t) counts from a moment before the server answered: `now - answered`
    # is never ahead of the run's clock (this machine's monotonic clock is the server's too).
    answered = time.monotonic_ns()
    page = browser.page
    page.goto(f"{live_server.url}/runs/{run_id}")
    page.wait_for_selector("mp-timeline[data-lanes='4']", timeout=20_000)
    page.get_by_role("button", name=re.compile("Pause workers")).click()
    page.wait_for_selector("#run-header[data-paused=true]", timeout=10_000)

    def paused_at() -> int | None:
        return next((e["t"] for e in events(live_server.url, run_id) if e["kind"] == "run.paused"), None)

    paused = wait_until(paused_at, PAUSE_HANG_GUARD_S, "run.paused in the stream")
    # Stay paused for PAUSE_S of the run's clock, counted conservatively; then, still paused, take a
    # moment of the run's clock that is surely before the resume.
    wait_until(
        lambda: time.monotonic_ns() - answered - paused >= PAUSE_S * 1e9, PAUSE_HANG_GUARD_S, "paused long"
    )
    still_paused = time.monotonic_ns() - answered
    run = httpx.get(f"{live_server.url}/api/runs/{run_id}").json()
    assert run["paused"] and run["status"] == "running"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "paused.png"))
    page.get_by_role("button", name=re.compile("Resume workers")).click()
    page.wait_for_selector("#run-header[data-status=succeeded]", timeout=RUN_TIMEOUT_MS)
    run = httpx.get(f"{live_server.url}/api/runs/{run_id}").json()
    assert not run["paused"]

    # Every process stopped right after the step it was reporting when the pause came: at most one
    # event each from run.paused until a moment before the resume.
    stream = events(live_server.url, run_id)
    during = Counter(e["proc"] for e in stream if paused < e["t"] < still_paused and e["proc"] != SERVER_PROC)
    assert all(n <= 1 for n in during.values()), during
    kinds = [e["kind"] for e in stream]
    assert kinds.index("run.paused") < kinds.index("run.resumed")
    # Resumed, the run did all its work, and its result tells the story of its events.
    story = race_from_events(stream)
    assert story["increments"] == {f"Process-{i}": 1000 for i in range(3)}
    assert {k: run["result"][k] for k in ("expected", "actual", "lost")} == {
        k: story[k] for k in ("expected", "actual", "lost")
    }
    assert browser.errors == []
