"""Shared fixtures: a real uvicorn server on a free loopback port, and the no-orphans check."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")
SERVERS: set[int] = set()  # pids of servers started by start_server and not yet stopped


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_long_lived(proc: psutil.Process) -> bool:
    """A server started by a fixture, or the forkserver / resource tracker of this test process or of
    such a server: they live as long as their parent. A run's own nested forkserver is not exempt."""
    try:
        if proc.pid in SERVERS:
            return True
        cmdline = " ".join(proc.cmdline())
        return proc.ppid() in SERVERS | {os.getpid()} and any(h in cmdline for h in STDLIB_HELPERS)
    except psutil.Error:
        return False


def live_descendants(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    alive = []
    for child in children:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.NoSuchProcess:
            pass
    return alive


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:  # it went away between the two questions
        return False


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    gone_deadline = time.monotonic() + timeout
    left = procs
    while left and time.monotonic() < gone_deadline:
        left = [p for p in left if _alive(p)]
        if left:
            time.sleep(0.05)
    return left


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(tmp: Path, *args: str, env: dict[str, str] | None = None) -> LiveServer:
    """A server whose run history lives in `tmp`/data (never the user's), unless `args` choose."""
    port = free_port()
    log = tmp / f"server-{port}.log"
    if "--data-dir" not in args and "--no-history" not in args:
        args = ("--data-dir", str(tmp / "data"), *args)
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                SERVERS.add(process.pid)
                return LiveServer(url, port, process, log)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not answer within 30 s:\n{log.read_text()}")


def stop_server(server: LiveServer, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
    descendants = live_descendants(server.process.pid)
    SERVERS.discard(server.process.pid)
    server.process.send_signal(sig)
    try:
        code = server.process.wait(timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise AssertionError(
            f"server did not exit within {timeout} s of {sig!r}:\n{server.output()}"
        ) from None
    left = wait_gone(descendants, 5)
    assert not left, f"processes left after the server stopped: {[p.pid for p in left]}"
    return code


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server; its default start method comes from MPSCOPE_TEST_START_METHOD (forkserver)."""
    method = os.environ.get("MPSCOPE_TEST_START_METHOD", "forkserver")
    server = start_server(tmp_path_factory.mktemp("server"), "--start-method", method)
    yield server
    stop_server(server)


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
