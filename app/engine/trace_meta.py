"""What a traced run says about itself: its spec (run.start), result and failure reason, built in one
place for the server's ingest (app/engine/traces.py) and for the tracer's `--out` files alike."""

from __future__ import annotations

import os
import signal
from typing import Any

from app.engine.spec import Origin, RunSpec

SCENARIO = "trace"
MAX_SOURCE = 256 * 1024  # a source panel, not an archive


def spec(script: str, argv: list[str], source: str | None) -> RunSpec:
    name = os.path.basename(script) or script
    return RunSpec(
        Origin.TRACE,
        SCENARIO,
        f"trace: {name}",
        {"script": script, "argv": argv},
        "program",  # the program chooses; each process.start says which it got
        extra={"source": (source or "")[:MAX_SOURCE], "source_name": name},
    )


def start_data(script: str, argv: list[str], source: str | None) -> dict[str, Any]:
    return spec(script, argv, source).start_data()


def describe(exitcode: int | None) -> str | None:
    """None for success, else a one-line reason."""
    if exitcode == 0:
        return None
    if exitcode is None:
        return "the tracer went away before the program ended"
    if exitcode < 0:
        try:
            return f"the program was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"the program was killed by signal {-exitcode}"
    return f"the program exited with code {exitcode}"


def result_data(exitcode: int | None, processes: int, dropped: int, failures: int) -> dict[str, Any]:
    return {
        "result": {
            "exitcode": exitcode,
            "processes": processes,
            "dropped_events": dropped,
            "instrumentation_errors": failures,
        }
    }
