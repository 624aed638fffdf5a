"""Runs fed by `mpscope trace` (app/trace/) instead of by a process of ours: open, add events, end.

A traced program runs on this machine as the user's own process, never as code the server received;
the server only numbers, stores and fans out the events it is sent, like any run's, through the book's
public API. A trace whose tracer stops talking for STALE_S seconds (it is killed, say) ends as failed,
not running forever.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from app.engine import trace_meta
from app.engine.book import RunBook
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest, RunNotActive
from app.events import WireEvent

STALE_S = 60.0
MAX_CLOCK_SKEW_NS = 3_600 * 10**9  # a tracer's t0 older than this (or in the future) is not trusted


class TraceFeeder:
    def __init__(self, book: RunBook) -> None:
        self.book = book
        self.last_seen: dict[str, float] = {}  # live traces: when their tracer last spoke
        self._sweeper: asyncio.Task[None] | None = None

    def open(self, script: str, argv: list[str], source: str | None, t0: int | None) -> Run:
        now = time.monotonic_ns()
        # The tracer's CLOCK_MONOTONIC start: same machine, same clock, so its events' t fit ours.
        trusted = t0 is not None and 0 < now - t0 < MAX_CLOCK_SKEW_NS
        run = self.book.open(trace_meta.spec(script, argv, source), t0_ns=t0 if trusted else now)
        self.book.start(run.id)
        self.last_seen[run.id] = time.monotonic()
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return run

    def add(self, run_id: str, batch: list[Any]) -> int:
        """Take a batch of wire events [t, pid, proc, kind, data]; returns how many were kept."""
        self._touch(run_id)
        return self.book.feed_wires(run_id, [_checked(i, w) for i, w in enumerate(batch)])

    def end(self, run_id: str, exitcode: int | None, result: dict[str, Any], dropped: int) -> Run:
        self._touch(run_id)
        error = trace_meta.describe(exitcode)
        status = RunStatus.SUCCEEDED if error is None else RunStatus.FAILED
        self.last_seen.pop(run_id, None)
        return self.book.end(run_id, status, error, result=result, dropped=dropped)

    def shutdown(self) -> None:
        for run_id in list(self.last_seen):
            self._close(run_id, RunStatus.CANCELLED, "server shutting down")
        if self._sweeper is not None:
            self._sweeper.cancel()

    def _touch(self, run_id: str) -> None:
        if not self.book.is_live(run_id) or run_id not in self.last_seen:
            run = self.book.get(run_id)  # UnknownRun for a run that never was
            raise RunNotActive(f"run {run_id} is {run.status.value}: it takes no more events")
        self.last_seen[run_id] = time.monotonic()

    def _close(self, run_id: str, status: RunStatus, reason: str) -> None:
        self.last_seen.pop(run_id, None)
        if self.book.is_live(run_id):
            self.book.end(run_id, status, reason)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(STALE_S / 6)
            now = time.monotonic()
            for run_id, seen in list(self.last_seen.items()):
                if now - seen > STALE_S:
                    reason = f"the tracer sent nothing for {STALE_S:g} s: it was stopped or killed"
                    self._close(run_id, RunStatus.FAILED, reason)


def _checked(i: int, w: Any) -> WireEvent:
    """One wire event from a tracer, or InvalidRequest naming the index and what is wrong with it."""
    if not (isinstance(w, list | tuple) and len(w) == 5):
        raise _bad(i, "expected [t, pid, proc, kind, data]")
    t, pid, proc, kind, data = w
    if not (
        isinstance(t, int) and isinstance(pid, int) and not isinstance(t, bool) and not isinstance(pid, bool)
    ):
        raise _bad(i, "t and pid must be integers")
    if not (isinstance(proc, str) and 0 < len(proc) <= 200 and isinstance(kind, str) and 0 < len(kind) <= 64):
        raise _bad(i, "proc (1-200 chars) and kind (1-64 chars) must be strings")
    if kind.startswith("run."):
        raise _bad(i, f"kind {kind!r}: run.* events are the server's own")
    if not isinstance(data, dict):
        raise _bad(i, "data must be an object")
    return (t, pid, proc, kind, data)


def _bad(i: int, msg: str) -> InvalidRequest:
    return InvalidRequest([{"loc": ["body", i], "msg": msg, "type": "value_error"}])
