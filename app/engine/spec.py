"""What opens a run: its origin and spec, which run.start reports.

Apart from app/engine/run.py (which re-exports both) so that `mpscope trace --out`, which builds a
run.start without any engine, imports only this: the tracer's start-up is what a short program pays.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Origin(StrEnum):
    """What feeds a run: what it is, whatever its scenario id says."""

    SCENARIO = "scenario"  # a lesson the server launched as its own processes
    TRACE = "trace"  # `mpscope trace` of a program running on this machine, fed over HTTP
    IMPORT = "import"  # a finished run's NDJSON, loaded back in
    CODE = "code"  # a program typed into the page, run traced and contained by the server (app/code/)


@dataclass(frozen=True)
class RunSpec:
    """What a feeder asks the book to open: everything run.start will say about the run."""

    origin: Origin
    scenario: str
    title: str
    params: dict[str, Any]
    start_method: str
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # the origin's own run.start fields

    def start_data(self, **measured: Any) -> dict[str, Any]:
        """The run.start payload, built here only: a scenario's, a trace's and a failed start's alike."""
        return {
            "scenario": self.scenario,
            "title": self.title,
            "origin": self.origin.value,
            "params": self.params,
            "start_method": self.start_method,
            "seed": self.seed,
            "wall_time": time.time(),
            **self.extra,
            **measured,
        }
