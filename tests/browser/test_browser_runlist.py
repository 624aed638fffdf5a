"""The sidebar's run list in a real headless Chromium: filter by scenario and status, delete a run.

Hooks (static/js/components/run-list.js): `#run-filter-scenario`, `#run-filter-status`,
`.run-item[data-run-id][data-status]`, `.run-delete`, `.run-confirm-yes` / `.run-confirm-no`,
`.run-error`, `.run-list-notice`. A deletion reaches a second open dashboard through the lobby
WebSocket. The refused deletes are a real server's answers (one with a presenter token): 409 for a run
still going, 401 without the token. Screenshot tests/artifacts/run-list-filter.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import (
    ARTIFACTS,
    Browser,
    LiveServer,
    expect,
    failed_run,
    start_run,
    start_server,
    stop_server,
    wait_finished,
)

pytestmark = pytest.mark.browser


def start(base: str, scenario: str, **params: Any) -> str:
    return start_run(base, scenario, **params)


def wait_final(base: str, run_id: str) -> dict[str, Any]:
    return wait_finished(base, run_id)


def row(page: Any, run_id: str) -> Any:
    return page.locator(f".run-item[data-run-id='{run_id}']")


def test_filter_and_delete_runs(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    races = [start(base, "race", workers=2, increments=100) for _ in range(2)]
    queue = start(base, "queue", producers=1, consumers=1, items=3, produce_ms=0, consume_ms=0)
    for run_id in [*races, queue]:
        assert wait_final(base, run_id)["status"] == "succeeded"
    # A queue run that fails (its consumer killed): the status filter has something to keep.
    slow_queue = {"producers": 1, "consumers": 1, "items": 50, "maxsize": 2, "consume_ms": 200}
    broken = failed_run(base, "queue", slow_queue, "consumer-0")["id"]

    page = browser.page
    page.goto(f"{base}/")
    other = page.context.browser.new_page(viewport={"width": 1280, "height": 720})  # a second dashboard
    other.goto(f"{base}/")
    for p in (page, other):
        for run_id in [*races, queue, broken]:
            expect(row(p, run_id)).to_be_visible()

    # By scenario: only queue runs are left, the races are gone from the list.
    scenario = page.locator("#run-filter-scenario")
    status = page.locator("#run-filter-status")
    expect(scenario.locator("option[value=queue]")).to_have_count(1)
    scenario.select_option("queue")
    expect(row(page, queue)).to_be_visible()
    expect(row(page, broken)).to_be_visible()
    for run_id in races:
        expect(row(page, run_id)).to_have_count(0)
    for scn in page.locator(".run-item .run-scn").all_inner_texts():
        assert scn == "queue"

    # By status too: the failed queue run stays, the one that succeeded goes.
    expect(status.locator("option")).to_have_count(7)  # all, and the six statuses incl. interrupted
    expect(status.locator("option[value=interrupted]")).to_have_count(1)
    status.select_option("failed")
    expect(row(page, queue)).to_have_count(0)
    expect(row(page, broken)).to_be_visible()
    for item in page.locator(".run-item").all():
        assert item.get_attribute("data-status") == "failed"
        assert item.locator(".run-scn").inner_text() == "queue"
    # A filter that matches nothing says so.
    status.select_option("interrupted")
    expect(page.locator(".run-item")).to_have_count(0)
    expect(page.locator(".run-list-empty")).to_have_text("No runs match the filter.")

    # Race runs that succeeded: both races, nothing else.
    scenario.select_option("race")
    status.select_option("succeeded")
    for run_id in races:
        expect(row(page, run_id)).to_be_visible()
    expect(row(page, queue)).to_have_count(0)
    expect(row(page, broken)).to_have_count(0)
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


TOKEN = "s3cret"
AS_PRESENTER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real server with a presenter token: DELETE needs it (401 without, 409 for an active run)."""
    server = start_server(tmp_path, "--token", TOKEN)
    try:
        yield server
    finally:
        stop_server(server)


class Lobby:
    """The page's lobby WebSocket, through to the real server, with a way to make the page's list
    stale: `freeze` drops the server's frames from then on, `tell` hands the page a frame of our own."""

    def __init__(self, page: Any) -> None:
        self.route: Any = None
        self.frozen = False
        page.route_web_socket(re.compile(r"/ws$"), self.connect)

    def connect(self, route: Any) -> None:
        server = route.connect_to_server()
        server.on_message(lambda message: None if self.frozen else route.send(message))
        route.on_message(lambda message: server.send(message))
        self.route = route

    def freeze_and_tell(self, runs: list[dict[str, Any]]) -> None:
        assert self.route is not None, "the page has no lobby connection"
        self.frozen = True
        self.route.send(json.dumps(runs))


def test_a_running_run_cannot_be_deleted(token_server: LiveServer, browser: Browser) -> None:
    base = token_server.url
    done = start_run(base, "race", headers=AS_PRESENTER, workers=2, increments=100)
    wait_final(base, done)
    slow = start_run(base, "race", headers=AS_PRESENTER, workers=1, increments=400, delay_ms=50)  # ~20 s
    page = browser.page
    lobby = Lobby(page)
    # The browser logs each refused DELETE below itself (a 409, then a 401): those errors are expected.
    browser.allow("Failed to load resource")
    try:
        page.goto(f"{base}/?token={TOKEN}")  # the presenter's link: its cookie allows deleting
        running = row(page, slow)
        expect(running).to_have_attribute("data-status", "running", timeout=30_000)
        expect(running.locator(".run-delete")).to_be_hidden()
        expect(running.locator(".btn-cancel")).to_be_visible()
        expect(row(page, done).locator(".run-delete")).to_be_visible()
        refused = httpx.delete(f"{base}/api/runs/{slow}", headers=AS_PRESENTER, timeout=10)
        assert refused.status_code == 409

        # A list gone stale (its lobby connection stopped, after word that the run had ended) offers
        # Delete on a run that is still going: the real server refuses, and the row says why.
        lobby.freeze_and_tell([{**httpx.get(f"{base}/api/runs/{slow}").json(), "status": "succeeded"}])
        expect(running).to_have_attribute("data-status", "succeeded")
        running.locator(".run-delete").click()
        running.locator(".run-confirm-yes").click()
        error = running.locator(".run-error")
        expect(error).to_contain_text("Cannot delete a run that is still going")
        expect(error).to_contain_text(f"run {slow} is running: cancel it before deleting it")  # the server's
        expect(running).to_be_visible()
        assert httpx.get(f"{base}/api/runs/{slow}", timeout=10).json()["status"] == "running"

        # Not the presenter (a page of its own, without the cookie): the server answers 401, the list
        # says so and offers no more Delete.
        fresh = page.context.browser.new_page(viewport={"width": 1280, "height": 720})  # no cookie
        audience = browser.watch(fresh, "audience")
        audience.goto(f"{base}/")
        finished = row(audience, done)
        finished.locator(".run-delete").click()
        finished.locator(".run-confirm-yes").click()
        notice = audience.locator(".run-list-notice")
        expect(notice).to_contain_text("Only the presenter can delete runs")
        expect(notice).to_contain_text("this server needs a token")  # the server's own words
        expect(audience.locator(".run-delete:visible")).to_have_count(0)
        expect(finished).to_be_visible()
        assert httpx.get(f"{base}/api/runs/{done}", timeout=10).status_code == 200
        audience.locator("#lang-zh").click()
        expect(notice).to_contain_text("只有講者可以刪除執行紀錄")
        audience.locator("#lang-en").click()
        audience.close()
    finally:
        httpx.post(f"{base}/api/runs/{slow}/cancel", headers=AS_PRESENTER, timeout=10)
        wait_final(base, slow)
    assert browser.unexpected_errors() == []
