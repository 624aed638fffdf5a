"""What the test modules share: servers, runs, browsers, process checks and hang guards.

Plain functions and classes, imported by the test modules; the fixtures built on them (live_server,
browser, the autouse no_orphans and no_hangs checks) are in tests/conftest.py. No test module imports
another test module.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import logging
import multiprocessing.forkserver
import multiprocessing.popen_fork
import multiprocessing.resource_tracker
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
import pytest

from app import jsonio
from app.config import DEFAULT_START_METHOD, START_METHODS, Limits, Settings
from app.engine.engine import Engine
from app.engine.procs import dump_stacks
from app.engine.run import Run
from app.frames import decode
from app.web.hub import Hub
from tests.plugins import TEST_REGISTRY

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).parent / "artifacts"
# Every start method this Python and OS offer (app/config.py: forkserver, spawn and fork on Linux and macOS):
# each scenario, fault and trace test runs under each of them.
METHODS = START_METHODS
# The start method of the test servers (conftest.py's live_server, start_server without --start-method).
SERVER_START_METHOD = os.environ.get("MPSCOPE_TEST_START_METHOD", DEFAULT_START_METHOD)
# The race tutorial preset: 5 workers, +1 each, with the Lock, 100 ms inside it.
RACE_TUTORIAL = {"workers": 5, "increments": 1, "use_lock": True, "delay_ms": 0, "hold_ms": 100}
FINAL = ("succeeded", "failed", "cancelled", "interrupted")


# -- hangs ------------------------------------------------------------------------------------------
class HangError(AssertionError):
    """A hang, a leaked process or a leaked run slot: a bug, never a flake. tests/hangs.py records every
    test that fails with one, and scripts/test then fails even if the test passes when run again."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind.upper()}: {message}")
        self.kind = kind


def wait_until(predicate: Callable[[], T | None], guard_s: float, what: str, interval: float = 0.05) -> T:
    """Poll `predicate` until it returns something truthy, and return that. `guard_s` is a hang guard:
    10x or more the time it normally takes. Running into it is a hang (HangError), not slowness."""
    deadline = time.monotonic() + guard_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise HangError("hang guard", f"{what}: not within {guard_s:g} s")
        time.sleep(interval)


# -- runs in this process (a Engine without HTTP) -----------------------------------------------
RUN_HANG_GUARD_S = 60  # 10x+ the longest run a test starts (~5 s); the server's own time limit is 60 s too


def with_manager(body: Callable[[Engine], Awaitable[T]], **limits: Any) -> T:
    async def main() -> T:
        manager = Engine(Settings(limits=Limits(**limits)), Hub(0.016, 8 << 20), TEST_REGISTRY)
        try:
            return await body(manager)
        finally:
            await manager.shutdown()

    return asyncio.run(main())


async def finished(run: Run, guard_s: float = RUN_HANG_GUARD_S, *, timeout: float | None = None) -> Run:
    """The run, once it has ended. `guard_s` is a hang guard, not a performance bound (`timeout`: its
    older name, still used by tests/scenarios/test_scenario_executor.py)."""
    guard_s = guard_s if timeout is None else timeout
    deadline = time.monotonic() + guard_s
    while run.active:
        if time.monotonic() >= deadline:
            dump_run_stacks(run)
            raise HangError("hang guard", f"run {run.id} still {run.status} after {guard_s:g} s")
        await asyncio.sleep(0.01)
    return run


def dump_run_stacks(run: Run) -> None:
    """A hung run's processes write their threads' stacks to stderr (pytest shows it with the failure):
    what the engine's own time limit prints, for a test's hang guard that comes first."""
    reported = {e["pid"] for e in events(run) if e["kind"] == "process.start"}
    groups = set()
    for pid in reported:
        with contextlib.suppress(OSError):
            groups.add(os.getpgid(pid))
    print(f"hang guard: run {run.id}: stacks of {sorted(reported)} follow on stderr", file=sys.stderr)
    for pgid in groups:
        dump_stacks(pgid, reported)


EVENTS_HANG_GUARD_S = 30  # 10x+ the time a run takes to report what a test waits for (~0.5-3 s)


async def wait_for_events(
    run: Run,
    predicate: Callable[[list[dict[str, Any]]], Any],
    what: str,
    guard_s: float = EVENTS_HANG_GUARD_S,
) -> list[dict[str, Any]]:
    """The run's events, once `predicate` holds for them; `guard_s` is a hang guard."""
    deadline = time.monotonic() + guard_s
    while True:
        evs = events(run)
        if predicate(evs):
            return evs
        if time.monotonic() >= deadline:
            raise HangError("hang guard", f"run {run.id} ({run.status}): {what}: not within {guard_s:g} s")
        await asyncio.sleep(0.02)


async def start_and_finish(
    m: Engine, scenario: str, params: dict[str, Any], method: str | None = None
) -> Run:
    return await finished(await m.start(scenario, params, method))


def events(run: Run) -> list[dict[str, Any]]:
    return [jsonio.loads(e) for e in run.events]


def race_from_events(evs: list[dict[str, Any]]) -> dict[str, Any]:
    """A race's outcome from its events alone, not from the scenario's own arithmetic: the increments
    each worker reported (one value.write per increment) against the final value the main process read."""
    increments = Counter(e["proc"] for e in evs if e["kind"] == "value.write" and e["proc"] != "main")
    final = [e for e in evs if e["kind"] == "value.read" and e["proc"] == "main"][-1]["data"]["value"]
    expected = sum(increments.values())
    return {"increments": dict(increments), "expected": expected, "actual": final, "lost": expected - final}


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
    return httpx.post(f"{server.url}/api/runs", json=body, timeout=10, **kwargs)


def start_run(base: str, scenario: str, headers: dict[str, str] | None = None, **params: Any) -> str:
    answer = httpx.post(
        f"{base}/api/runs", json={"scenario": scenario, "params": params}, headers=headers, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def wait_finished(server: LiveServer | str, run_id: str, guard_s: float = RUN_HANG_GUARD_S) -> dict[str, Any]:
    """The run's summary once it has ended; `guard_s` is a hang guard (a run ends by the server's time
    limit at the latest; a test whose run hits it fails as a hang anyway, see tests/conftest.py)."""
    base = server if isinstance(server, str) else server.url

    def ended() -> dict[str, Any] | None:
        run: dict[str, Any] = httpx.get(f"{base}/api/runs/{run_id}", timeout=10).json()
        return run if run["status"] in FINAL else None

    return wait_until(ended, guard_s, f"run {run_id} did not end")


def rest_events(base: str, run_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{base}/api/runs/{run_id}/events", timeout=10).json()  # type: ignore[no-any-return]


def worker_pid(evs: list[dict[str, Any]], proc: str) -> int | None:
    return next((e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == proc), None)


def failed_run(base: str, scenario: str, params: dict[str, Any], victim: str) -> dict[str, Any]:
    """A run that fails for real: started over REST, its process `victim` SIGKILLed once it is up."""
    run_id = start_run(base, scenario, **params)
    pid = wait_until(
        lambda: worker_pid(rest_events(base, run_id), victim), EVENTS_HANG_GUARD_S, f"{victim} starts"
    )
    os.kill(pid, signal.SIGKILL)
    run = wait_finished(base, run_id)
    assert run["status"] == "failed" and victim in run["error"], run
    return run


def read_all(ws: Any, guard_s: float = RUN_HANG_GUARD_S) -> tuple[list[list[dict[str, Any]]], int | None]:
    """Every frame of a WebSocket until the server closes it; returns the frames and the close code."""
    from websockets.exceptions import ConnectionClosed

    frames = []
    deadline = time.monotonic() + guard_s
    try:
        while True:
            if time.monotonic() >= deadline:
                raise HangError("hang guard", f"the stream did not end within {guard_s:g} s")
            try:
                message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                continue  # the guard above decides
            frames.append(decode(message))  # as the page reads it (static/js/socket.js)
    except ConnectionClosed:
        pass
    return frames, ws.close_code


# -- processes ------------------------------------------------------------------------------------
STDLIB_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")
PR_SET_CHILD_SUBREAPER = 36
# How long a process the test started gets to go at its end (10x+ a clean exit's ~0.5 s).
ORPHAN_GRACE_S = float(os.environ.get("MPSCOPE_TEST_ORPHAN_GRACE_S", "10"))


@dataclass
class OrphanCheck:
    """How the no_orphans fixture finds this session's processes. With the subreaper (Linux), every
    process started from here stays a descendant of pytest even when its parent dies (it is re-parented
    to pytest, not to init), so walking pytest's children sees it. Without, the check also finds the
    processes of the servers' sessions (start_server starts each in a session of its own), but an
    orphan of a run started in this process (a Engine without HTTP) escapes it."""

    subreaper: bool = False
    why_not: str = ""
    sessions: set[int] = field(default_factory=set)  # every server's session, kept after it stopped

    def describe(self) -> str:
        if self.subreaper:
            return "pytest is a child subreaper: orphaned descendants stay visible to no_orphans"
        return (
            f"NO subreaper ({self.why_not}): no_orphans falls back to the servers' sessions; "
            "orphans of runs started inside pytest are not seen"
        )


ORPHANS = OrphanCheck()


def become_subreaper() -> None:
    """Make this process a child subreaper (Linux's prctl), once; else say why not in ORPHANS."""
    if os.environ.get("MPSCOPE_TEST_NO_SUBREAPER"):
        ORPHANS.why_not = "MPSCOPE_TEST_NO_SUBREAPER is set"
        return
    if not sys.platform.startswith("linux"):
        ORPHANS.why_not = f"prctl(PR_SET_CHILD_SUBREAPER) is Linux only, this is {sys.platform}"
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            ORPHANS.why_not = f"prctl failed: {os.strerror(ctypes.get_errno())}"
            return
    except (OSError, AttributeError) as exc:
        ORPHANS.why_not = f"prctl unavailable: {exc}"
        return
    ORPHANS.subreaper = True


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:  # it went away between the two questions
        return False


def live_descendants(pid: int) -> list[psutil.Process]:
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [child for child in children if _alive(child)]


def session_members(sessions: set[int]) -> list[psutil.Process]:
    """Live processes in any of these sessions (a server's descendants, wherever they were re-parented)."""
    if not sessions:
        return []
    members = []
    for proc in psutil.process_iter():
        try:
            if os.getsid(proc.pid) in sessions and _alive(proc):
                members.append(proc)
        except (OSError, psutil.Error):
            continue
    return members


def ours() -> dict[int, psutil.Process]:
    """Every live process this session answers for: pytest's descendants and the servers' sessions."""
    procs = {p.pid: p for p in live_descendants(os.getpid())}
    for p in session_members(ORPHANS.sessions):
        procs.setdefault(p.pid, p)
    procs.pop(os.getpid(), None)
    return procs


def own_helpers() -> set[int]:
    """pytest's own forkserver and resource tracker: they live as long as pytest does."""
    pids = {
        getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None),
        getattr(multiprocessing.resource_tracker._resource_tracker, "_pid", None),
    }
    return {pid for pid in pids if pid}


def is_long_lived(proc: psutil.Process) -> bool:
    """A server started by start_server (and not yet stopped) or its stdlib forkserver / resource
    tracker, or pytest's own: they live as long as their parent. A run's nested forkserver is not
    exempt, even once re-parented to pytest."""
    try:
        if proc.pid in SERVERS or proc.pid in own_helpers():
            return True
        return proc.ppid() in SERVERS and any(h in " ".join(proc.cmdline()) for h in STDLIB_HELPERS)
    except psutil.Error:
        return False


def wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes still alive after up to `timeout` seconds (a bound for them to exit in)."""
    gone_deadline = time.monotonic() + timeout
    left = procs
    while left and time.monotonic() < gone_deadline:
        left = [p for p in left if _alive(p)]
        if left:
            time.sleep(0.05)
    return [p for p in left if _alive(p)]


def describe(procs: list[psutil.Process]) -> list[str]:
    """Each process as "pid (parent, process group) command line", for a failure message."""
    names = []
    for p in procs:
        try:
            names.append(f"{p.pid} (ppid {p.ppid()}, pgid {os.getpgid(p.pid)}) {' '.join(p.cmdline())[:80]}")
        except (OSError, psutil.Error):  # gone, or a zombie by now
            names.append(str(p.pid))
    return names


POPENS = (subprocess.Popen, multiprocessing.popen_fork.Popen)


def _known_children() -> set[int]:
    """Children whose exit status belongs to an object here: a subprocess.Popen or a multiprocessing
    Process not yet waited for, and pytest's forkserver and resource tracker (the stdlib waits for
    them by pid). Reaping one of those would make its owner see a wrong exit code, or fail."""
    pids = own_helpers()
    for obj in gc.get_objects():
        # By type, not isinstance: gc also holds weak proxies, whose isinstance raises once they are dead.
        if issubclass(type(obj), POPENS) and obj.returncode is None:
            pids.add(obj.pid)
    return pids


def reap_adopted_zombies() -> list[int]:
    """Wait for the zombies that were re-parented to pytest (it is their subreaper, so nobody else
    will), and only for those: a child some Popen object knows is left to that object."""
    zombies = []
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children():
            with contextlib.suppress(psutil.Error):
                if child.status() == psutil.STATUS_ZOMBIE:
                    zombies.append(child.pid)
    if not zombies:
        return []
    known = _known_children()
    reaped = []
    for pid in zombies:
        if pid in known:
            continue
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                reaped.append(pid)
    return reaped


def kill_all(procs: list[psutil.Process]) -> None:
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()


# -- servers --------------------------------------------------------------------------------------
SERVERS: set[int] = set()  # pids of servers started by start_server and not yet stopped
SERVER_HANG_GUARD_S = 30  # 10x+ a server's start (~1-3 s on a busy machine)


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


class ServerLogs:
    """Every server log of this session, and how far the time-limit check has read each one."""

    def __init__(self) -> None:
        self.read_to: dict[Path, int] = {}
        self.lock = threading.Lock()

    def add(self, log: Path) -> None:
        with self.lock:
            self.read_to.setdefault(log, 0)

    def new_lines(self, needle: str) -> list[str]:
        """Lines containing `needle` written since the last call (by any server)."""
        hits = []
        with self.lock:
            for log, offset in self.read_to.items():
                try:
                    with log.open("rb") as f:
                        f.seek(offset)
                        text = f.read()
                except OSError:
                    continue
                end = text.rfind(b"\n") + 1  # whole lines only; the rest is read next time
                self.read_to[log] = offset + end
                hits += [
                    f"{log.name}: {line}"
                    for line in text[:end].decode(errors="replace").splitlines()
                    if needle in line
                ]
        return hits


SERVER_LOGS = ServerLogs()


def start_server(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    command: str = "serve",
) -> LiveServer:
    """A server whose run history lives in `tmp`/data (never the user's), unless `args` choose. It
    leads a session of its own: its descendants stay findable by session, even once re-parented.
    `prefix`: a command that execs the server's own (say, in a namespace), keeping its pid.
    command="edge": an `mpscope edge` (args must name its --broker), which keeps no history."""
    port = free_port()
    log = tmp / f"{command}-{port}.log"
    if command == "serve" and "--data-dir" not in args and "--no-history" not in args:
        args = ("--data-dir", str(tmp / "data"), *args)
    process = subprocess.Popen(
        [*prefix, sys.executable, "-m", "app", command, "--port", str(port), *args],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    ORPHANS.sessions.add(process.pid)
    SERVER_LOGS.add(log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_HANG_GUARD_S
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
    process.wait()
    raise HangError("hang guard", f"server did not answer within {SERVER_HANG_GUARD_S} s:\n{log.read_text()}")


def stop_server(server: LiveServer, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
    """Stop the server with `sig`; asserts that it and every process of its session are gone. `timeout`
    is a hang guard (10x+ a graceful stop's ~1 s)."""
    descendants = live_descendants(server.process.pid)
    SERVERS.discard(server.process.pid)
    server.process.send_signal(sig)
    try:
        code = server.process.wait(timeout)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise HangError(
            "hang guard", f"server did not exit within {timeout} s of {sig!r}:\n{server.output()}"
        ) from None
    left = wait_gone(descendants + session_members({server.process.pid}), 5)
    if left:
        kill_all(left)
        raise HangError("orphans", f"processes left after the server stopped: {describe(left)}")
    return code


# -- browsers -------------------------------------------------------------------------------------
# MPSCOPE_TEST_CHROMIUM: another Chromium (or, to check the CI rule below, one that is not there).
CHROMIUM = os.environ.get("MPSCOPE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]
RUN_TIMEOUT_MS = 90_000  # a hang guard for a run seen in the page: 10x+ the longest (~5 s)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def browser_missing(why: str) -> None:
    """Skip a browser test that cannot run here; in CI (CI=true) fail it instead: there, a missing
    browser is a broken setup, not a reason to go green without the browser tests."""
    if in_ci():
        pytest.fail(f"{why}; CI=true, so browser tests must run, not skip", pytrace=False)
    pytest.skip(why)


def playwright_api() -> Any:
    try:
        import playwright.sync_api
    except ImportError as exc:
        browser_missing(f"Playwright is not installed ({exc})")
    return playwright.sync_api


def expect(actual: Any, message: str | None = None) -> Any:
    """playwright.sync_api.expect, imported when first used (so collecting never needs Playwright)."""
    return playwright_api().expect(actual, message)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (never a browser that Playwright downloads)."""
    api = playwright_api()
    if not Path(CHROMIUM).exists():
        browser_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Browser:
    """A page plus every console error and uncaught exception it produced. The browser fixtures fail a
    test that ends with any, unless the test allowed it (`allow`)."""

    def __init__(self, page: Any, name: str = "") -> None:
        self.page = page
        self.errors: list[str] = []
        self.allowed: list[str] = []
        self.watch(page, name)

    def watch(self, page: Any, name: str = "") -> Any:
        prefix = f"{name}: " if name else ""
        page.on("console", lambda msg: self.on_console(msg, prefix))
        page.on("pageerror", lambda e: self.errors.append(f"{prefix}pageerror: {e}"))
        return page

    def on_console(self, msg: Any, prefix: str = "") -> None:
        if msg.type == "error":
            self.errors.append(f"{prefix}console.error: {msg.text}")

    def allow(self, fragment: str) -> None:
        """An error the test causes on purpose (e.g. the browser's log line for a refused request)."""
        self.allowed.append(fragment)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


# -- logging of time limits in this process -------------------------------------------------------
TIME_LIMIT_LOG = "hit its time limit"  # app/engine/supervisor.py, when a run is stopped at its time limit


class TimeLimitLog(logging.Handler):
    """Collects the Engine's "hit its time limit" warnings in this process."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.hits: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if TIME_LIMIT_LOG in message:
            self.hits.append(message)

    def take(self) -> list[str]:
        hits, self.hits = self.hits, []
        return hits


TIME_LIMITS = TimeLimitLog()
