"""Shared fixtures: a real uvicorn server on a free loopback port, a headless Chromium, and the
no-orphans check. The helpers they use (start_server, stop_server, Browser, ...) are in tests/helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.helpers import (
    ORPHAN_GRACE_S,
    ORPHANS,
    Browser,
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
)

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    become_subreaper()


def pytest_unconfigure(config: pytest.Config) -> None:
    reap_adopted_zombies()


def pytest_report_header(config: pytest.Config) -> str:
    return f"orphan check: {ORPHANS.describe()}"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server; its default start method comes from MPSCOPE_TEST_START_METHOD (forkserver)."""
    method = os.environ.get("MPSCOPE_TEST_START_METHOD", "forkserver")
    server = start_server(tmp_path_factory.mktemp("server"), "--start-method", method)
    yield server
    stop_server(server)


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A page in Debian's Chromium, with the console errors and uncaught exceptions it produces."""
    with chromium() as launched:
        yield Browser(launched.new_page(viewport={"width": 1280, "height": 720}))


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
        pytest.fail(f"test left {len(left)} process(es) alive: {names}")
