"""A code run is an ordinary run: the per-run event limit stops it, pause stops every process of it
(and its time limit) until resume, and a server that stops takes its code runs' processes with it."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import psutil

from tests.code.runs import finished, kinds, start_code
from tests.helpers import start_server, stop_server, wait_until

STARTED_GUARD_S = 30  # a hang guard: the programs print their first line within a second or two

SLEEPER = """
import multiprocessing, time
if __name__ == '__main__':
    w = multiprocessing.Process(target=time.sleep, args=(600,))
    w.start()
    print('started', flush=True)
    time.sleep(600)
"""


def printed(url: str, run_id: str, text: str) -> bool | None:
    return text in httpx.get(f"{url}/api/runs/{run_id}/output", timeout=10).json()["stdout"] or None


def test_the_event_limit_stops_a_code_run(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-history", "--max-events", "500")
    try:
        source = "import multiprocessing\nv = multiprocessing.Value('i', 0)\nwhile True:\n    v.value += 1\n"
        run, events, _ = finished(server, start_code(server, source)["id"])
        assert run["status"] == "failed"
        assert run["error"] == "limit of 500 events per run exceeded"
        # the limit's 500, then the book's own run.result and run.end
        assert len(events) == 502 and [e["kind"] for e in events[-2:]] == ["run.result", "run.end"]
        assert run["dropped_events"] > 0
    finally:
        stop_server(server)


def test_pause_stops_every_process_until_resume(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-history")
    try:
        run_id = start_code(server, SLEEPER)["id"]
        wait_until(lambda: printed(server.url, run_id, "started"), STARTED_GUARD_S, "the program to start")
        paused = httpx.post(f"{server.url}/api/runs/{run_id}/pause", timeout=10).json()
        assert paused["paused"] is True
        events = httpx.get(f"{server.url}/api/runs/{run_id}/events", timeout=10).json()
        pids = {e["pid"] for e in events if e["kind"] == "process.start"}
        assert len(pids) == 2

        def all_stopped() -> bool | None:
            return all(psutil.Process(p).status() == psutil.STATUS_STOPPED for p in pids) or None

        wait_until(all_stopped, STARTED_GUARD_S, "every process of the run to stop")
        assert httpx.post(f"{server.url}/api/runs/{run_id}/resume", timeout=10).json()["paused"] is False
        httpx.post(f"{server.url}/api/runs/{run_id}/cancel", timeout=10)
        run, events, _ = finished(server, run_id)
        assert run["status"] == "cancelled"
        assert kinds(events)["run.paused"] == 1 and kinds(events)["run.resumed"] == 1
    finally:
        stop_server(server)


def test_a_stopping_server_takes_its_code_runs_processes_with_it(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-history")
    run_id = start_code(server, SLEEPER)["id"]
    wait_until(lambda: printed(server.url, run_id, "started"), STARTED_GUARD_S, "the program to start")
    events = httpx.get(f"{server.url}/api/runs/{run_id}/events", timeout=10).json()
    pids = [e["pid"] for e in events if e["kind"] == "process.start"]
    assert len(pids) == 2
    stop_server(server, signal.SIGTERM)  # asserts that no process of the server's is left

    def gone() -> bool | None:
        return not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids) or None

    wait_until(gone, STARTED_GUARD_S, f"the code run's processes {pids} to go")
