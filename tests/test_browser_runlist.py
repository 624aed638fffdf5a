"""The sidebar's run list in a real headless Chromium: filter by scenario and status, delete a run.

Hooks (static/js/components/run-list.js): `#run-filter-scenario`, `#run-filter-status`,
`.run-item[data-run-id][data-status]`, `.run-delete`, `.run-confirm-yes` / `.run-confirm-no`,
`.run-error`, `.run-list-notice`. A deletion reaches a second open dashboard through the lobby
WebSocket. Fixtures come from tests/conftest.py; screenshot
tests/artifacts/run-list-filter.png.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.helpers import ARTIFACTS, Browser, expect

pytestmark = pytest.mark.browser

FINAL = ("succeeded", "failed", "cancelled", "interrupted")


def start(base: str, scenario: str, **params: Any) -> str:
    answer = httpx.post(f"{base}/api/runs", json={"scenario": scenario, "params": params}, timeout=10)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def wait_final(base: str, run_id: str, timeout: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run: dict[str, Any] = httpx.get(f"{base}/api/runs/{run_id}", timeout=10).json()
        if run["status"] in FINAL:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end within {timeout} s")


def row(page: Any, run_id: str) -> Any:
    return page.locator(f".run-item[data-run-id='{run_id}']")


def test_filter_and_delete_runs(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    races = [start(base, "race", workers=2, increments=100) for _ in range(2)]
    queue = start(base, "queue", producers=1, consumers=1, items=3, produce_ms=0, consume_ms=0)
    for run_id in [*races, queue]:
        assert wait_final(base, run_id)["status"] == "succeeded"

    page = browser.page
    page.goto(f"{base}/")
    other = page.context.browser.new_page(viewport={"width": 1280, "height": 720})  # a second dashboard
    other.goto(f"{base}/")
    for p in (page, other):
        for run_id in [*races, queue]:
            expect(row(p, run_id)).to_be_visible()

    # By scenario: only queue runs are left, the races are gone from the list.
    scenario = page.locator("#run-filter-scenario")
    status = page.locator("#run-filter-status")
    expect(scenario.locator("option[value=queue]")).to_have_count(1)
    scenario.select_option("queue")
    expect(row(page, queue)).to_be_visible()
    for run_id in races:
        expect(row(page, run_id)).to_have_count(0)
    for scn in page.locator(".run-item .run-scn").all_inner_texts():
        assert scn == "queue"

    # By status too: no failed queue run here, and the list says so.
    expect(status.locator("option")).to_have_count(7)  # all, and the six statuses incl. interrupted
    expect(status.locator("option[value=interrupted]")).to_have_count(1)
    status.select_option("failed")
    expect(row(page, queue)).to_have_count(0)
    for item in page.locator(".run-item").all():
        assert item.get_attribute("data-status") == "failed"
    if page.locator(".run-item").count() == 0:
        expect(page.locator(".run-list-empty")).to_have_text("No runs match the filter.")

    # Race runs that succeeded: both races, nothing else.
    scenario.select_option("race")
    status.select_option("succeeded")
    for run_id in races:
        expect(row(page, run_id)).to_be_visible()
    expect(row(page, queue)).to_have_count(0)
    for item in page.locator(".run-item").all():
        assert item.get_attribute("data-status") == "succeeded"
        assert item.locator(".run-scn").inner_text() == "race"

    # Delete asks first; "Keep" keeps the run.
    gone, kept = races
    row(page, gone).locator(".run-delete").click()
    confirm = row(page, gone).locator(".run-confirm")
    expect(confirm).to_contain_text(f"Delete run {gone} and its events?")
    expect(row(page, gone).locator(".run-confirm-no")).to_be_focused()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "run-list-filter.png"))
    row(page, gone).locator(".run-confirm-no").click()
    expect(confirm).to_have_count(0)
    assert httpx.get(f"{base}/api/runs/{gone}", timeout=10).status_code == 200

    # "Delete": gone here, on the other dashboard (through the lobby) and on the server.
    row(page, gone).locator(".run-delete").click()
    row(page, gone).locator(".run-confirm-yes").click()
    expect(row(page, gone)).to_have_count(0)
    expect(row(other, gone)).to_have_count(0)
    expect(row(other, kept)).to_be_visible()
    assert httpx.get(f"{base}/api/runs/{gone}", timeout=10).status_code == 404
    page.reload()
    expect(row(page, kept)).to_be_visible()
    expect(row(page, gone)).to_have_count(0)
    assert browser.errors == []
    other.close()


def test_a_running_run_cannot_be_deleted(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    done = start(base, "race", workers=2, increments=100)
    wait_final(base, done)
    slow = start(base, "race", workers=1, increments=400, delay_ms=50)  # about 20 s, cancelled below
    page = browser.page
    try:
        page.goto(f"{base}/")
        running = row(page, slow)
        expect(running).to_have_attribute("data-status", "running", timeout=30_000)
        expect(running.locator(".run-delete")).to_be_hidden()
        expect(running.locator(".btn-cancel")).to_be_visible()
        expect(row(page, done).locator(".run-delete")).to_be_visible()
        answer = httpx.delete(f"{base}/api/runs/{slow}", timeout=10)
        assert answer.status_code == 409

        # A run that became active again behind the page's back (e.g. the list was stale): the
        # server's 409 is shown in the run's row, which stays.
        def refuse_409(route: Any) -> None:
            route.fulfill(status=409, json={"detail": f"run {done} is running: cancel it before deleting it"})

        page.route(f"**/api/runs/{done}", refuse_409)
        row(page, done).locator(".run-delete").click()
        row(page, done).locator(".run-confirm-yes").click()
        expect(row(page, done).locator(".run-error")).to_contain_text(
            "Cannot delete a run that is still going"
        )
        expect(row(page, done)).to_be_visible()
        page.unroute(f"**/api/runs/{done}")

        # Not the presenter (a server with a token, no cookie): a clear message, and no more Delete.
        def refuse_401(route: Any) -> None:
            route.fulfill(status=401, json={"detail": "this server needs a token to start or cancel runs"})

        page.route(f"**/api/runs/{done}", refuse_401)
        row(page, done).locator(".run-delete").click()
        row(page, done).locator(".run-confirm-yes").click()
        expect(page.locator(".run-list-notice")).to_contain_text("Only the presenter can delete runs")
        expect(page.locator(".run-delete:visible")).to_have_count(0)
        expect(row(page, done)).to_be_visible()
        page.locator("#lang-zh").click()
        expect(page.locator(".run-list-notice")).to_contain_text("只有講者可以刪除執行紀錄")
        page.locator("#lang-en").click()
    finally:
        httpx.post(f"{base}/api/runs/{slow}/cancel", timeout=10)
        wait_final(base, slow)
    # the refused DELETEs above are logged by the browser itself; nothing else may be
    browser.allow("Failed to load resource")
    assert browser.unexpected_errors() == []
