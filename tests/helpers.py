"""What the test modules share: servers, runs, browsers and process checks.

Plain functions and classes, imported by the test modules; the fixtures built on them (live_server,
browser, the autouse no_orphans check) are in tests/conftest.py. No test module imports another test
module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import psutil
import pytest

from app.config import Limits, Settings
from app.hub import Hub
from app.run import Run
from app.runs import RunManager
from tests.plugins import TEST_REGISTRY

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).parent / "artifacts"
METHODS = ("forkserver", "spawn", "fork")
# The race tutorial preset: 5 workers, +1 each, with the Lock, 100 ms inside it.
RACE_TUTORIAL = {"workers": 5, "increments": 1, "use_lock": True, "delay_ms": 0, "hold_ms": 100}


# -- runs in this process (a RunManager without HTTP) -----------------------------------------------
def with_manager(body: Callable[[RunManager], Awaitable[T]], **limits: Any) -> T:
    async def main() -> T:
        manager = RunManager(Settings(limits=Limits(**limits)), Hub(0.016, 8 << 20), TEST_REGISTRY)
        try:
            return await body(manager)
        finally:
            await manager.shutdown()

    return asyncio.run(main())


async def finished(run: Run, timeout: float = 60) -> Run:
    deadline = time.monotonic() + timeout
    while run.active:
        assert time.monotonic() < deadline, f"run {run.id} still {run.status} after {timeout} s"
        await asyncio.sleep(0.01)
    return run


async def start_and_finish(
    m: RunManager, scenario: str, params: dict[str, Any], method: str | None = None
) -> Run:
    return await finished(await m.start(scenario, params, method))


def events(run: Run) -> list[dict[str, Any]]:
    return [orjson.loads(e) for e in run.events]


# -- runs over REST ---------------------------------------------------------------------------------
def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def post_json(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def post_run(server: LiveServer, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    """POST /api/runs with this body, as it is (tests of refusals send bodies that are wrong)."""
    return httpx.post(f"{server.url}/api/runs", json=body, **kwargs)


def wait_finished(server: LiveServer, run_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = httpx.get(f"{server.url}/api/runs/{run_id}").json()
        if run["status"] not in ("queued", "running"):
            return run  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def read_all(ws: Any, timeout: float = 60) -> tuple[list[list[dict[str, Any]]], int | None]:
    """Every frame until the server closes; returns the frames and the close code."""
    from websockets.exceptions import ConnectionClosed

    frames = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            assert isinstance(message, str), "frames are text"
            frames.append(orjson.loads(message))
    except ConnectionClosed:
        pass
    return frames, ws.close_code


# -- processes ------------------------------------------------------------------------------------
STDLIB_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


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


# -- servers --------------------------------------------------------------------------------------
SERVERS: set[int] = set()  # pids of servers started by start_server and not yet stopped


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


# -- browsers -------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
RUN_TIMEOUT_MS = 90_000


def playwright_api() -> Any:
    return pytest.importorskip("playwright.sync_api")


def expect(actual: Any, message: str | None = None) -> Any:
    """playwright.sync_api.expect, imported when first used (so collecting never needs Playwright)."""
    return playwright_api().expect(actual, message)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (never a browser that Playwright downloads)."""
    api = playwright_api()
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Browser:
    """A page plus every console error and uncaught exception it produced."""

    def __init__(self, page: Any, name: str = "") -> None:
        self.page = page
        self.errors: list[str] = []
        self.watch(page, name)

    def watch(self, page: Any, name: str = "") -> Any:
        prefix = f"{name}: " if name else ""
        page.on("console", lambda msg: self.on_console(msg, prefix))
        page.on("pageerror", lambda e: self.errors.append(f"{prefix}pageerror: {e}"))
        return page

    def on_console(self, msg: Any, prefix: str = "") -> None:
        if msg.type == "error":
            self.errors.append(f"{prefix}console.error: {msg.text}")
