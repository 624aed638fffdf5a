"""Shared fixtures: a real uvicorn server on a free loopback port, a headless Chromium, and the checks
that every test gets (autouse): no process left behind, no run left going, no run at its time limit.

The helpers they use (start_server, stop_server, Browser, ...) are in tests/helpers.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import (
    ORPHAN_GRACE_S,
    ORPHANS,
    SERVER_LOGS,
    SERVER_START_METHOD,
    TIME_LIMIT_LOG,
    TIME_LIMITS,
    Browser,
    HangError,
    LiveServer,
    become_subreaper,
    chromium,
    describe,
    is_long_lived,
    kill_all,
    ours,
    reap_adopted_zombies,
    start_server,
    stop_server,
    wait_gone,
    wait_until,
)

pytest_plugins = ["pytester", "tests.hangs"]

# A hang guard: the server's own per-run time limit; every run has ended by then.
RUN_SLOT_HANG_GUARD_S = float(os.environ.get("MPSCOPE_TEST_RUN_SLOT_GUARD_S", "60"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "expects_time_limit: a run hits its time limit on purpose (no_hangs lets it)"
    )
    become_subreaper()
    logging.getLogger("mpscope").addHandler(TIME_LIMITS)


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.getLogger("mpscope").removeHandler(TIME_LIMITS)
    reap_adopted_zombies()


def pytest_report_header(config: pytest.Config) -> str:
    return f"orphan check: {ORPHANS.describe()}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server; its default start method: MPSCOPE_TEST_START_METHOD, else app/config.py's default."""
    method = SERVER_START_METHOD
    server = start_server(tmp_path_factory.mktemp("server"), "--start-method", method)
    yield server
    stop_server(server)


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A page in Debian's Chromium. A test ending with a console error or an uncaught exception in it
    fails, unless the test allowed that error (Browser.allow)."""
    with chromium() as launched:
        b = Browser(launched.new_page(viewport={"width": 1280, "height": 720}))
        yield b
        unexpected = b.unexpected_errors()
    assert not unexpected, f"errors in the page: {unexpected}"


@pytest.fixture(autouse=True)
def no_orphans() -> Iterator[None]:
    """Fail a test that leaves a process behind: any process that was not there before the test, among
    pytest's descendants (pytest is a child subreaper: a process whose parent died is re-parented to
    pytest, so it stays one) and the servers' sessions; the stdlib's forkserver and resource tracker
    of pytest and of a running server aside. Zombies re-parented to pytest are reaped here."""
    reap_adopted_zombies()
    before = set(ours())
    yield
    new = [p for pid, p in ours().items() if pid not in before and not is_long_lived(p)]
    left = wait_gone(new, ORPHAN_GRACE_S)
    reap_adopted_zombies()
    if left:
        names = describe(left)
        kill_all(left)
        wait_gone(left, 5)
        reap_adopted_zombies()
        raise HangError("orphans", f"test left {len(left)} process(es) alive: {names}")


@pytest.fixture(autouse=True)
def no_hangs(request: pytest.FixtureRequest, no_orphans: None) -> Iterator[None]:
    """Fail a test in which a run hit its time limit (in this process, or in any server's log), unless
    it is marked `expects_time_limit`; and a test that leaves a run going on the live server (a leaked
    run slot: the next tests would find the concurrent-run limit reached). It needs no_orphans so that
    it ends first: a leaked run is cancelled here before no_orphans looks for its processes."""
    TIME_LIMITS.take()
    SERVER_LOGS.new_lines(TIME_LIMIT_LOG)  # what came before this test is not its doing
    yield
    if "live_server" in request.fixturenames:
        server: LiveServer = request.getfixturevalue("live_server")
        leaked = active_runs(server)
        if leaked:
            try:
                wait_until(lambda: not active_runs(server), RUN_SLOT_HANG_GUARD_S, "runs to end")
            except HangError:
                for run_id in active_runs(server):
                    httpx.post(f"{server.url}/api/runs/{run_id}/cancel", timeout=10)
                raise HangError(
                    "run slot", f"the test left runs going on the live server: {leaked}"
                ) from None
    hits = TIME_LIMITS.take() + SERVER_LOGS.new_lines(TIME_LIMIT_LOG)
    if hits and request.node.get_closest_marker("expects_time_limit") is None:
        raise HangError("time limit", f"a run hit its time limit during the test: {hits}")


def active_runs(server: LiveServer) -> list[str]:
    runs = httpx.get(f"{server.url}/api/runs", timeout=10).json()
    return [r["id"] for r in runs if r["status"] in ("queued", "running")]
