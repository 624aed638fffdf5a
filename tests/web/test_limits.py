"""Limits and load against a real server: bounded bodies, runs, viewers; slow clients dropped."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.helpers import (
    FINAL,
    ROOT,
    RUN_HANG_GUARD_S,
    LiveServer,
    start_server,
    stop_server,
    wait_finished,
    wait_until,
)
from tests.streams import read_run_stream

VIEWERS_HANG_GUARD_S = 10  # 10x+ the time the server takes to forget a closed WebSocket
OUTPUT_HANG_GUARD_S = 10  # 10x+ the time a started server takes to print its URLs


def no_viewers(server: LiveServer) -> bool:
    return httpx.get(f"{server.url}/api/stats").json()["viewers"] == 0


def test_oversized_body_is_413(live_server: LiveServer) -> None:
    # POST /api/runs has a cap of its own (a code run's 64 KiB source, however JSON escapes it);
    # every other mutating route has --max-body's
    url = f"{live_server.url}/api/present"
    big = {"pad": "x" * 70_000}
    response = httpx.post(url, json=big)
    assert response.status_code == 413 and "65,536 bytes" in response.json()["detail"]

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 10_000

    response = httpx.post(url, content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413  # chunked, with no Content-Length, is counted too
    runs = f"{live_server.url}/api/runs"
    response = httpx.post(runs, json={"scenario": "race", "params": {"pad": "x" * 600_000}})
    assert response.status_code == 413 and "524,288 bytes" in response.json()["detail"]
    response = httpx.post(runs, json={"scenario": "race", "params": {"pad": "x" * 70_000}})
    assert response.status_code == 422  # under the route's cap: refused for what it says


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/runs"),
        ("PUT", "/api/runs"),
        ("PATCH", "/api/health"),
        ("OPTIONS", "/api/runs"),
        ("HEAD", "/api/runs"),
        ("GET", "/api/runs/x/cancel"),
    ],
)
def test_only_declared_methods_are_accepted(live_server: LiveServer, method: str, path: str) -> None:
    assert httpx.request(method, f"{live_server.url}{path}").status_code == 405


def test_fifty_concurrent_starts_hold_the_limit_and_the_server_answers(live_server: LiveServer) -> None:
    # Runs that outlast the burst by far (~100 s; cancelled below): however slowly the 50 requests are
    # served, no slot frees meanwhile, so exactly 4 get in.
    body = {"scenario": "race", "params": {"workers": 1, "increments": 2000, "delay_ms": 50}}
    with ThreadPoolExecutor(50) as pool:
        responses = list(
            pool.map(lambda _: httpx.post(f"{live_server.url}/api/runs", json=body, timeout=30), range(50))
        )
        health = httpx.get(f"{live_server.url}/api/health", timeout=5)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 4 and codes.count(429) == 46, codes
    assert all("4 concurrent runs" in r.json()["detail"] for r in responses if r.status_code == 429)
    assert health.status_code == 200
    for r in responses:
        if r.status_code == 201:
            httpx.post(f"{live_server.url}/api/runs/{r.json()['id']}/cancel")
            assert wait_finished(live_server, r.json()["id"])["status"] == "cancelled"


def test_a_client_that_stops_reading_is_dropped_and_the_others_get_everything(
    live_server: LiveServer,
) -> None:
    # The events a firehose run reports besides its logs (process lifecycles, reporter stats, result),
    # counted on a run too small to drop any: the big run may drop some of them too.
    small = {"processes": 4, "events": 10}
    small_id = httpx.post(
        f"{live_server.url}/api/runs", json={"scenario": "firehose", "params": small}
    ).json()["id"]
    wait_finished(live_server, small_id)
    small_events = httpx.get(f"{live_server.url}/api/runs/{small_id}/events").json()
    reported = sum(1 for e in small_events if e["kind"] not in ("log", "run.start", "run.end"))
    params = {"processes": 4, "events": 100_000}  # ~45 MB of JSON: more than the 8 MiB client buffer
    run_id = httpx.post(
        f"{live_server.url}/api/runs", json={"scenario": "firehose", "params": params}
    ).json()["id"]
    ws_url = f"{live_server.ws_url}/ws/runs/{run_id}"
    # The slow client reads one frame into its queue, then nothing: TCP backs up to the server. The
    # other reads as a page does: should a loaded machine leave even it behind (1013), it reconnects with
    # ?after=<last seq> and carries on (tests/streams.py), so "everything" is everything across them.
    with connect(ws_url, max_queue=1) as slow:
        fast = read_run_stream(live_server.ws_url, run_id)
        with pytest.raises(ConnectionClosed):
            while True:
                slow.recv(timeout=10)
        # Dropped: closed with 1013, or aborted (1006) when even the close frame cannot get through.
        assert slow.close_code in (1013, 1006)
    assert fast.close_codes[-1] == 1000, fast.summary()
    seqs = fast.seqs
    logs = sum(1 for e in fast.events if e["kind"] == "log")
    others = sum(1 for e in fast.events if e["kind"] not in ("log", "run.start", "run.end"))
    total = httpx.get(f"{live_server.url}/api/runs/{run_id}").json()["event_count"]
    assert seqs == list(range(total))  # every event, in order, none twice
    run = wait_finished(live_server, run_id)
    # Nothing lost silently: each event a process reported (the 400,000 logs and the others) either
    # reached this viewer or was counted as dropped by its process (on an overloaded machine a reporter
    # waits 0.5 s for room, then counts; a process.exit or the stats can be dropped as well as a log).
    assert run["status"] == "succeeded", run
    assert logs + others + run["dropped_events"] == 400_000 + reported, (logs, others, reported, run)
    wait_until(lambda: no_viewers(live_server), VIEWERS_HANG_GUARD_S, "the viewers are gone")


def test_three_hundred_clients_coming_and_going_leave_no_registration(live_server: LiveServer) -> None:
    body = {"scenario": "race", "params": {"workers": 2, "increments": 2000, "delay_ms": 1}}
    run_id = httpx.post(f"{live_server.url}/api/runs", json=body).json()["id"]

    def visit(i: int) -> None:
        path = "/ws" if i % 2 else f"/ws/runs/{run_id}"
        with connect(f"{live_server.ws_url}{path}") as ws:
            ws.recv(timeout=10)

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(visit, range(300)))
    wait_until(lambda: no_viewers(live_server), VIEWERS_HANG_GUARD_S, "the viewers are gone")
    httpx.post(f"{live_server.url}/api/runs/{run_id}/cancel")
    wait_finished(live_server, run_id)


def test_a_client_that_sends_messages_is_closed_with_a_reason(live_server: LiveServer) -> None:
    with connect(f"{live_server.ws_url}/ws") as ws:
        ws.recv(timeout=5)
        ws.send('{"subscribe": "everything"}')
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=5)
        assert ws.close_code == 1003 and ws.close_reason == "this stream takes no messages"
    with connect(f"{live_server.ws_url}/ws") as ws:
        ws.recv(timeout=5)
        ws.send("x" * 100_000)  # over the 64 KiB message limit
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=5)
        assert ws.close_code == 1009


def test_viewer_token_closes_viewing_but_not_static_or_health(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--token", "pres", "--viewer-token", "aud")
    try:
        url = server.url
        assert httpx.get(f"{url}/").status_code == 401
        assert httpx.get(f"{url}/api/runs").status_code == 401
        assert httpx.get(f"{url}/api/health").status_code == 200
        assert httpx.get(f"{url}/static/css/app.css").status_code == 200
        with httpx.Client() as audience:
            assert audience.get(f"{url}/?view=aud", follow_redirects=True).status_code == 200
            assert audience.get(f"{url}/api/runs").status_code == 200
            assert audience.post(f"{url}/api/runs", json={"scenario": "race"}).status_code == 401  # view only
        with httpx.Client(headers={"Authorization": "Bearer pres"}) as presenter:
            assert presenter.get(f"{url}/api/runs").status_code == 200
        ws_ok = threading.Event()
        with connect(f"{server.ws_url}/ws", additional_headers={"Cookie": "mpscope_view=aud"}) as ws:
            ws.recv(timeout=5)
            ws_ok.set()
        assert ws_ok.is_set()
        with pytest.raises(Exception, match="403"):
            connect(f"{server.ws_url}/ws")
    finally:
        stop_server(server)


def test_token_auto_prints_presenter_and_audience_urls(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--token", "auto", "--viewer-token", "auto")
    try:
        wait_until(lambda: "audience URL" in server.output(), OUTPUT_HANG_GUARD_S, "the URLs printed")
        lines = {
            line.split(":", 1)[0]: line.rsplit(" ", 1)[1]
            for line in server.output().splitlines()
            if "URL" in line
        }
        presenter, audience = (
            lines["presenter URL (can start runs; keep it private)"],
            lines["audience URL (view only; share it)"],
        )
        assert "?token=" in presenter and len(presenter.split("=")[1]) >= 20
        with httpx.Client() as client:  # the presenter
            assert client.get(presenter, follow_redirects=True).status_code == 200
            body = {"scenario": "race", "params": {"increments": 5}}
            started = client.post(f"{server.url}/api/runs", json=body)
            assert started.status_code == 201
            run_url = f"{server.url}/api/runs/{started.json()['id']}"

            def ended() -> bool:
                return client.get(run_url).json()["status"] in FINAL

            wait_until(ended, RUN_HANG_GUARD_S, "the run ends")
        assert httpx.get(audience, follow_redirects=True).status_code == 200
    finally:
        stop_server(server)


def test_cli_help_names_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    for option in ("--host", "--port", "--start-method", "--token", "--viewer-token"):
        assert option in out.stdout


@pytest.mark.expects_time_limit
def test_a_run_at_its_time_limit_says_where_each_process_was_before_it_is_killed(tmp_path: Path) -> None:
    # On the server's stderr (its log here): the stacks of the workers, in their delay, and of the main
    # process, waiting for them. A hang in CI then says where it hung. Which workers had started when
    # the limit struck is read from the run's own events, not assumed from the clock.
    server = start_server(tmp_path, "--max-run-seconds", "3")
    try:
        body = {"scenario": "race", "params": {"workers": 2, "increments": 1000, "delay_ms": 50}}
        run_id = httpx.post(f"{server.url}/api/runs", json=body).json()["id"]
        run = wait_finished(server, run_id)
        assert run["status"] == "failed" and "time limit of 3 s" in run["error"]
        events = httpx.get(f"{server.url}/api/runs/{run_id}/events").json()
    finally:
        stop_server(server)
    log = server.output()
    assert f"run {run_id} hit its time limit" in log
    workers = {e["pid"] for e in events if e["kind"] == "process.start" and e["data"].get("role") != "main"}
    assert workers  # 50 s of work each (3 s allowed): still at it when the limit struck, then killed
    # one dump per live process (its "Current thread"), and each worker's inside the race's worker()
    assert log.count("Current thread") == 1 + len(workers), log[-4000:]
    assert log.count('race.py", line') >= len(workers), log[-4000:]
