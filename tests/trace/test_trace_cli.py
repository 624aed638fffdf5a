"""`mpscope trace` as a user types it: `-m module`, and no --server / --out at all (the embedded server);
and the ingest's refusal of a client that is not on this machine.

tests/trace/test_trace.py covers what is traced; this file covers the two ways of running it that it does not.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from app.config import Settings
from app.engine.traces import TraceFeeder
from app.export.formats import from_ndjson
from app.web.server import create_app
from tests.helpers import ROOT, HangError, wait_gone
from tests.trace.programs import read_events

TRACER_HANG_GUARD_S = 60  # 10x+ the few seconds the traced program takes to end and the tracer to say so

ENV = {k: v for k, v in os.environ.items() if k != "MPSCOPE_URL"} | {"PYTHONUNBUFFERED": "1"}
MODULE = "tests.trace_programs.array_lock"  # exits 3 on purpose


def test_a_module_runs_as_python_m_runs_it(tmp_path: Path) -> None:
    out = tmp_path / "m.ndjson"
    plain = subprocess.run(
        [sys.executable, "-m", MODULE, "spawn"], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60
    )
    traced = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--out", str(out), "-m", MODULE, "spawn"],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert plain.returncode == traced.returncode == 3, traced.stderr
    assert traced.stdout == plain.stdout and "cells: [15, 15, 15, 15]" in plain.stdout
    events = from_ndjson(out.read_bytes(), 1_000_000)
    start = events[0].data
    assert start["params"] == {"script": f"-m {MODULE}", "argv": ["spawn"]}
    assert "def add(cells, guard):" in start["source"]  # the module's own file, found as -m finds it
    children = {e.proc for e in events if e.kind == "process.start" and e.proc != "MainProcess"}
    assert children == {"adder-0", "adder-1", "adder-2"}
    assert events[-1].data["status"] == "failed" and "exited with code 3" in events[-1].data["error"]


def test_with_no_server_given_an_embedded_one_shows_the_run_until_ctrl_c() -> None:
    tracer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "trace",
            str(ROOT / "tests" / "trace_programs" / "array_lock.py"),
            "fork",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: the SIGINT below is a terminal's Ctrl-C
    )
    try:
        assert tracer.stderr is not None
        url = ""
        deadline = time.monotonic() + TRACER_HANG_GUARD_S
        while time.monotonic() < deadline:
            line = tracer.stderr.readline()
            if "until you press Ctrl-C" in line:
                url = line.split(" at ", 1)[1].split()[0]
                break
            assert line, f"the tracer ended early: {tracer.wait()}"
        if not url:
            raise HangError("hang guard", f"the tracer printed no URL within {TRACER_HANG_GUARD_S} s")
        assert url.startswith("http://127.0.0.1:") and "/runs/" in url
        base, run_id = url.split("/runs/")
        run = httpx.get(f"{base}/api/runs/{run_id}", timeout=10).json()
        assert run["scenario"] == "trace" and run["status"] == "failed" and run["result"]["exitcode"] == 3
        events = httpx.get(f"{base}/api/runs/{run_id}/events", timeout=10).json()
        assert {e["proc"] for e in events if e["kind"] == "process.start"} >= {
            "adder-0",
            "adder-1",
            "adder-2",
        }
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "data-run" in page.text
        server = psutil.Process(tracer.pid).children(recursive=True)  # the embedded server and its own
        assert server, "the embedded server is the tracer's child"
        os.killpg(tracer.pid, signal.SIGINT)
        assert tracer.wait(timeout=30) == 3  # the program's exit code, not the Ctrl-C's
        assert not wait_gone(server, 10), "the embedded server outlived the tracer"
    finally:
        if tracer.poll() is None:
            os.killpg(tracer.pid, signal.SIGKILL)
            tracer.wait()


async def _post_trace(client_host: str) -> httpx.Response:
    app = create_app(Settings(host="0.0.0.0", token="t0ken"))  # a lecture server, reachable on the LAN
    transport = httpx.ASGITransport(app=app, client=(client_host, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client:
        body = {"script": "x.py", "argv": [], "source": "print(1)"}
        response = await client.post("/api/traces", json=body, headers={"Authorization": "Bearer t0ken"})
        if response.status_code == 201:
            traces: TraceFeeder = app.state.engine.traces
            traces.shutdown()
        return response


def test_the_ingest_takes_loopback_clients_only_even_with_the_token() -> None:
    # The ASGI scope's client address is the one thing a test cannot get from a real socket here (no
    # second host): the app is driven in-process with it set, as uvicorn sets it from the peer.
    refused = asyncio.run(_post_trace("192.168.1.20"))
    assert refused.status_code == 403 and "loopback clients only" in refused.json()["detail"]
    assert asyncio.run(_post_trace("127.0.0.1")).status_code == 201
    assert asyncio.run(_post_trace("::1")).status_code == 201


def test_the_tracer_leaves_nothing_in_the_temporary_directory(tmp_path: Path) -> None:
    """Its private directory (the socket, counts/ with a file per process) is removed at the end, by
    hand since shutil is no longer imported for it; three processes wrote counts there."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "t.ndjson"
    program = ROOT / "tests" / "trace_programs" / "threads_vs_processes.py"
    traced = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--out", str(out), str(program), "spawn"],
        cwd=ROOT,
        env=ENV | {"TMPDIR": str(tmp)},
        capture_output=True,
        text=True,
        timeout=TRACER_HANG_GUARD_S,
    )
    assert traced.returncode == 0, traced.stderr
    stats = [e for e in read_events(out) if e["kind"] == "reporter.stats"]
    assert len(stats) == 3  # the program and its two children each had a counts file
    assert list(tmp.iterdir()) == []


def test_help_is_argparse_s_at_the_width_asked(tmp_path: Path) -> None:
    """`mpscope trace --help` wraps at $COLUMNS as argparse does by itself (the width is now given to it,
    so that it need not import shutil to ask)."""
    narrow = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--help"],
        env=ENV | {"COLUMNS": "50"},
        capture_output=True,
        text=True,
        timeout=TRACER_HANG_GUARD_S,
    )
    assert narrow.returncode == 0 and "--out FILE.ndjson" in narrow.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 48  # 50 - 2, argparse's margin
    wide = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--help"],
        env=ENV | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=TRACER_HANG_GUARD_S,
    )
    assert max(len(line) for line in wide.stdout.splitlines()) > 50
