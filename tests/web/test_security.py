"""Access rules of a server that starts processes: tokens, loopback-only defaults, clean shutdown."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app import jsonio
from app.storage.history import read_run
from tests.helpers import (
    METHODS,
    ROOT,
    SERVERS,
    LiveServer,
    live_descendants,
    start_server,
    stop_server,
    wait_finished,
    wait_gone,
    wait_until,
)

RACE = {"scenario": "race", "params": {"workers": 2, "increments": 5}}


@pytest.fixture
def token_server(tmp_path: Path) -> LiveServer:
    server = start_server(tmp_path, "--token", "s3cret")
    yield server  # type: ignore[misc]
    stop_server(server)


def test_token_guards_every_mutating_route(token_server: LiveServer) -> None:
    url = token_server.url
    assert httpx.post(f"{url}/api/runs", json=RACE).status_code == 401
    assert (
        httpx.post(f"{url}/api/runs", json=RACE, headers={"Authorization": "Bearer nope"}).status_code == 403
    )
    assert httpx.post(f"{url}/api/runs/ffffffff/cancel").status_code == 401
    assert httpx.get(f"{url}/api/runs").json() == []  # nothing was started, no process spawned
    helpers = ("multiprocessing.forkserver", "multiprocessing.resource_tracker", "app.engine.reaper")
    children = [" ".join(p.cmdline()) for p in live_descendants(token_server.process.pid)]
    assert all(any(h in c for h in helpers) for c in children), children  # no run process exists
    ok = httpx.post(f"{url}/api/runs", json=RACE, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201
    wait_finished(token_server, ok.json()["id"])
    # Viewing stays open for the audience.
    assert httpx.get(f"{url}/").status_code == 200
    assert httpx.get(f"{url}/api/runs/{ok.json()['id']}/events").status_code == 200


def test_presenter_url_sets_a_cookie_that_allows_starting_runs(token_server: LiveServer) -> None:
    url = token_server.url
    assert httpx.get(f"{url}/?token=wrong").status_code == 403
    with httpx.Client() as presenter:
        response = presenter.get(f"{url}/?token=s3cret", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert (
            "HttpOnly" in response.headers["set-cookie"]
            and "SameSite=Strict" in response.headers["set-cookie"]
        )
        started = presenter.post(f"{url}/api/runs", json=RACE)
        assert started.status_code == 201
        wait_finished(token_server, started.json()["id"])


def test_non_loopback_bind_without_a_token_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "refusing to bind 0.0.0.0" in result.stderr and "--token" in result.stderr


STARTUP_HANG_GUARD_S = 30  # 10x+ the ~1-3 s a run takes to start its processes
SHUTDOWN_HANG_GUARD_S = 15  # 10x+ a graceful shutdown's ~1 s (runs cancelled, groups reaped)
REAPER_HANG_GUARD_S = 20  # 10x+ the ~1 s the reaper takes to kill a dead server's runs
OUTPUT_HANG_GUARD_S = 10  # 10x+ the time a started server takes to print its URLs


def workers_started(server: LiveServer, run_id: str, n: int) -> bool:
    events = httpx.get(f"{server.url}/api/runs/{run_id}/events").json()
    return sum(1 for e in events if e["kind"] == "process.start" and e["proc"] != "main") >= n


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_server_signal_cancels_runs_and_reaps_every_child(tmp_path: Path, sig: signal.Signals) -> None:
    server = start_server(tmp_path)
    body = {"scenario": "race", "params": {"workers": 4, "increments": 1000, "delay_ms": 50}}
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    wait_until(lambda: workers_started(server, run_id, 4), STARTUP_HANG_GUARD_S, "the 4 workers start")
    # main + 4 workers + the run's forkserver + the server's helpers
    assert len(live_descendants(server.process.pid)) >= 6
    code = stop_server(server, sig, SHUTDOWN_HANG_GUARD_S)  # asserts every descendant is gone afterwards
    # uvicorn shuts down gracefully (lifespan: runs cancelled, groups reaped), then re-raises the signal.
    assert code in (0, -sig), server.output()
    assert "Traceback" not in server.output() and "leaked" not in server.output(), server.output()
    # The run was cancelled, as its history says (read from the data directory: the server is gone).
    stored = read_run(tmp_path / "data", run_id)
    assert stored is not None
    summary, events = stored
    assert summary["status"] == "cancelled", summary
    end = jsonio.loads(events[-1])
    assert end["kind"] == "run.end" and end["data"]["status"] == "cancelled"
    assert sum(1 for e in map(jsonio.loads, events) if e["kind"] == "value.write") < 4 * 1000


@pytest.mark.parametrize("method", METHODS)
def test_sigkill_of_the_server_leaves_no_descendant(tmp_path: Path, method: str) -> None:
    """The server cannot clean up after a SIGKILL: its reaper process does (in ~1 s), for the run's
    processes, the run's nested forkserver, and (once they are gone) the stdlib's forkserver and
    resource tracker."""
    server = start_server(tmp_path, "--start-method", method)
    body = {"scenario": "race", "params": {"workers": 4, "increments": 1000, "delay_ms": 50}}
    run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
    wait_until(lambda: workers_started(server, run_id, 4), STARTUP_HANG_GUARD_S, "the 4 workers start")
    # reaper, forkserver, resource tracker, main, 4 workers (+ the run's forkserver)
    descendants = live_descendants(server.process.pid)
    assert len(descendants) >= 7, [" ".join(p.cmdline())[:60] for p in descendants]
    SERVERS.discard(server.process.pid)
    server.process.kill()
    server.process.wait(5)
    left = wait_gone(descendants, REAPER_HANG_GUARD_S)
    assert not left, [f"{p.pid} {' '.join(p.cmdline())[:70]}" for p in left]


def test_a_wildcard_bind_accepts_this_machines_addresses_and_prints_them(tmp_path: Path) -> None:
    """An audience reaches `--host 0.0.0.0` by the presenter's LAN address: that Host must pass, a
    foreign name must not (DNS rebinding works through names)."""
    from app.web.security import interface_addresses

    lan = sorted(a for a in interface_addresses() if "." in a and not a.startswith("127."))
    if not lan:
        pytest.skip("this machine has no non-loopback IPv4 address")
    server = start_server(tmp_path, "--host", "0.0.0.0", "--token", "t", "--viewer-token", "v")
    try:
        wait_until(lambda: "audience URL" in server.output(), OUTPUT_HANG_GUARD_S, "the URLs printed")
        assert f"audience URL (view only; share it): http://{lan[0]}:{server.port}/?view=v" in server.output()
        ok = httpx.get(f"{server.url}/api/health", headers={"Host": f"{lan[0]}:{server.port}"})
        assert ok.status_code == 200
        bad = httpx.get(f"{server.url}/api/health", headers={"Host": f"evil.example:{server.port}"})
        assert bad.status_code == 400
    finally:
        stop_server(server)
