"""Where a short traced program's extra time goes: the start-up breakdown bench/trace.py prints.

A program of ~50 ms pays mostly for what happens around it, not for its events: our interpreter and
imports, starting the helpers, the instrumentation each traced interpreter loads (sitecustomize), the
first connection, and the drain and exit at the end. This runs the program under `mpscope trace` with
$MPSCOPE_TRACE_PROFILE set (the tracer then writes when each of its phases began, see app/trace/tracer.py
Stamps), reads each process's `boot_ns`/`connect_ns` from its reporter.stats, and measures a bare
interpreter and the import of our command line on their own. Medians over the runs, in milliseconds.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from app import jsonio

# The tracer's stamps, in the order they happen, each naming the phase that ends there ("popen" is our
# Popen of `mpscope trace`, "exit" its exit as we see it). With --out, the tracer starts the program
# before it opens the file (that overlaps our imports with the program's start-up), so "sink_opened"
# comes after "program_started" and its phase runs alongside the program's.
PHASES = {
    "entered": "interpreter_and_imports",
    "reaper_started": "reaper_start",
    "sink_opened": "sink_and_collector_open",
    "program_started": "program_spawn",
    "program_exited": "program_run",
    "leftovers_killed": "leftover_sweep",
    "collector_stopped": "collector_drain",
    "sink_closed": "sink_close",
    "reaper_stopped": "reaper_stop",
    "returned": "return",
    "exit": "tracer_exit",
}


def _wall(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, int]:
    began = time.monotonic_ns()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True)
    return began, time.monotonic_ns()


def _ms(ns: float) -> float:
    return round(ns / 1e6, 2)


def baseline(work: Path, runs: int) -> dict[str, float]:
    """A bare interpreter's start and exit, and the same plus importing our command line."""
    bare, cli = [], []
    for _ in range(runs):
        a, b = _wall([sys.executable, "-c", "pass"], work)
        bare.append(b - a)
        a, b = _wall([sys.executable, "-c", "import app.cli"], work)
        cli.append(b - a)
    return {"bare_interpreter": _ms(statistics.median(bare)), "import_app_cli": _ms(statistics.median(cli))}


def profile_once(script: Path, argv: list[str], work: Path) -> dict[str, float]:
    stamps_file, out = work / "stamps.json", work / "profile.ndjson"
    env = dict(os.environ, MPSCOPE_TRACE_PROFILE=str(stamps_file))
    cmd = [sys.executable, "-m", "app", "trace", "--out", str(out), str(script), *argv]
    began, ended = _wall(cmd, work, env)
    stamps: dict[str, int] = json.loads(stamps_file.read_text()) | {"popen": began, "exit": ended}
    order = sorted(stamps, key=stamps.__getitem__)
    row = {PHASES.get(b, b): _ms(stamps[b] - stamps[a]) for a, b in zip(order, order[1:], strict=False)}
    row["tracer_before_program"] = _ms(stamps["program_started"] - began)
    row["tracer_after_program"] = _ms(ended - stamps["program_exited"])
    row["total"] = _ms(ended - began)
    boots: list[int] = []
    connects: list[int] = []
    with out.open("rb") as f:
        for raw in f:
            event = jsonio.loads(raw)
            if event["kind"] == "reporter.stats":
                data = event["data"]
                if data.get("boot_ns"):
                    boots.append(int(data["boot_ns"]))
                connects.append(int(data.get("connect_ns", 0)))
    row["sitecustomize_per_interpreter"] = _ms(statistics.mean(boots)) if boots else 0.0
    row["interpreters_booted"] = len(boots)
    row["processes"] = len(connects)
    row["connect_per_process"] = _ms(statistics.mean(connects)) if connects else 0.0
    return row


def breakdown(script: Path, argv: list[str], work: Path, runs: int) -> dict[str, Any]:
    rows = [profile_once(script, argv, work) for _ in range(runs)]
    return {key: round(statistics.median(r[key] for r in rows), 2) for key in rows[0]}
