"""Shared fixtures: a real uvicorn server on a free loopback port, a headless Chromium, and the
no-orphans check. The helpers they use (start_server, stop_server, Browser, ...) are in tests/helpers.py.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import psutil
import pytest

from tests.helpers import (
    Browser,
    LiveServer,
    chromium,
    is_long_lived,
    live_descendants,
    start_server,
    stop_server,
    wait_gone,
)


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
def no_orphans(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a process behind: any descendant of this test process, or of the live
    server, that was not there before the test (the stdlib's forkserver and resource tracker aside)."""
    me = os.getpid()
    before = {p.pid for p in live_descendants(me)}
    yield
    new = [p for p in live_descendants(me) if p.pid not in before and not is_long_lived(p)]
    left = wait_gone(new, 10)
    if left:
        for p in left:
            with contextlib.suppress(psutil.Error):
                p.kill()
        names = []
        for p in left:
            try:
                names.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
            except psutil.Error:  # gone, or a zombie by now
                names.append(str(p.pid))
        pytest.fail(f"test left {len(left)} process(es) alive: {names}")
