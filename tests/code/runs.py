"""Helpers of the code-run tests: a server with small code limits, and a code run started, awaited and
checked for leftovers (its processes, its working directory, its cgroup)."""

from __future__ import annotations

import glob
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.helpers import LiveServer, wait_finished, wait_until

SECRET = "mpscope-test-secret-6f2b"  # in the server's environment, never in a code run's
LIMITS = {"cpu_s": 2, "address_space_mb": 256, "processes": 40, "file_size_mb": 8, "open_files": 256}
TIME_LIMIT_S = 30
SERVER_ARGS = (
    "--no-history",
    "--code-cpu",
    str(LIMITS["cpu_s"]),
    "--code-memory",
    str(LIMITS["address_space_mb"]),
    "--code-processes",
    str(LIMITS["processes"]),
    "--code-file-size",
    str(LIMITS["file_size_mb"]),
    "--code-open-files",
    str(LIMITS["open_files"]),
    "--max-run-seconds",
    str(TIME_LIMIT_S),
)
GONE_GUARD_S = 10  # a hang guard: the run's processes are killed before it ends; 10x+ what that takes


def start_code(server: LiveServer, source: str, method: str | None = None, **extra: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}/api/runs", json={"source": source, "start_method": method, **extra}, timeout=30
    )
    assert answer.status_code == 201, answer.text
    run: dict[str, Any] = answer.json()
    return run


def finished(server: LiveServer, run_id: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """(the run once ended, its events, its output), after checking that it left nothing behind."""
    run = wait_finished(server, run_id, guard_s=TIME_LIMIT_S * 3)
    events: list[dict[str, Any]] = httpx.get(f"{server.url}/api/runs/{run_id}/events", timeout=10).json()
    output: dict[str, Any] = httpx.get(f"{server.url}/api/runs/{run_id}/output", timeout=10).json()
    assert_nothing_left(run_id, events)
    return run, events, output


def run_code(server: LiveServer, source: str, method: str | None = None) -> tuple[dict[str, Any], ...]:
    return finished(server, start_code(server, source, method)["id"])


def kinds(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(e["kind"] for e in events)


def assert_nothing_left(run_id: str, events: list[dict[str, Any]]) -> None:
    pids = {e["pid"] for e in events if e["kind"] == "process.start"}

    def alive() -> list[int]:
        found = []
        for pid in pids:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    found.append(pid)
            except psutil.Error:
                pass
        return found

    wait_until(lambda: not alive() or None, GONE_GUARD_S, f"run {run_id}'s processes {alive()} to go")
    assert not glob.glob(str(Path(tempfile.gettempdir(), f"mpscope-code-{run_id}-*")))
    assert not glob.glob(f"/sys/fs/cgroup/*/mpscope-code-{run_id}") + glob.glob(
        f"/sys/fs/cgroup/mpscope-code-{run_id}"
    )
