"""Runs fed by `mpscope trace` (app/trace/) instead of by a process of ours: open, add events, end.

A traced program runs on this machine as the user's own process, never as code the server received;
the server only numbers, stores and fans out the events it is sent, like any run's. A trace whose
tracer stops talking for STALE_S seconds (it is killed, say) ends as failed, not running forever.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidRequest, LimitExceeded, RunNotActive, UnknownRun
from app.events import SERVER_PROC, SUMMARY_KINDS, Event, WireEvent, encode_wires
from app.run import Run, RunStatus
from app.runs import RunManager
from app.trace import meta

STALE_S = 60.0


@dataclass
class Feed:
    t0: int  # the tracer's CLOCK_MONOTONIC start: same machine, same clock
    last_seen: float
    over_limit: int = 0


class TraceRuns:
    def __init__(self, manager: RunManager) -> None:
        self.manager = manager
        self.feeds: dict[str, Feed] = {}
        self._sweeper: asyncio.Task[None] | None = None

    def open(self, script: str, argv: list[str], source: str | None, t0: int | None) -> Run:
        m = self.manager
        if m.active_count() >= m.limits.max_active_runs:
            raise LimitExceeded(
                f"limit of {m.limits.max_active_runs} concurrent runs reached; try again later"
            )
        run_id = secrets.token_hex(4)
        while run_id in m.runs:
            run_id = secrets.token_hex(4)
        start = meta.start_data(script, argv, source)
        run = Run(run_id, meta.SCENARIO, start["params"], start["start_method"])
        now = time.monotonic_ns()
        feed = Feed(t0 if t0 is not None and 0 < now - t0 < 3_600 * 10**9 else now, time.monotonic())
        m.runs[run.id] = run
        self.feeds[run.id] = feed
        if m.history is not None:
            m.history.record_run(run.to_dict())
        m.hub.open_topic(run.id)
        self._server_event(run, "run.start", start)
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return run

    def add(self, run_id: str, batch: list[Any]) -> int:
        """Take a batch of wire events [t, pid, proc, kind, data]; returns how many were kept."""
        run, feed = self._live(run_id)
        feed.last_seen = time.monotonic()
        wires = [_checked(i, w) for i, w in enumerate(batch)]
        room = max(self.manager.limits.max_events_per_run - run.event_count, 0)
        if len(wires) > room:
            feed.over_limit += len(wires) - room
            wires = wires[:room]
        self._deliver(run, wires)
        return len(wires)

    def end(self, run_id: str, exitcode: int | None, result: dict[str, Any], dropped: int) -> Run:
        run, feed = self._live(run_id)
        error = meta.describe(exitcode)
        status = RunStatus.SUCCEEDED if error is None else RunStatus.FAILED
        self._close(run, feed, status, error, result, dropped)
        return run

    def shutdown(self) -> None:
        for run_id, feed in list(self.feeds.items()):
            self._close(self.manager.runs[run_id], feed, RunStatus.CANCELLED, "server shutting down", None, 0)
        if self._sweeper is not None:
            self._sweeper.cancel()

    # -- inside -----------------------------------------------------------------------------------
    def _live(self, run_id: str) -> tuple[Run, Feed]:
        run = self.manager.runs.get(run_id)
        if run is None:
            raise UnknownRun(f"no run with id {run_id!r}")
        feed = self.feeds.get(run_id)
        if feed is None:
            raise RunNotActive(f"run {run_id} is {run.status.value}: it takes no more events")
        return run, feed

    def _close(
        self, run: Run, feed: Feed, status: RunStatus, error: str | None, result: Any, dropped: int
    ) -> None:
        m = self.manager
        if result is not None:
            self._server_event(run, "run.result", {"result": result})
        end = m._end_data(run, status, error, dropped + feed.over_limit)
        self._server_event(run, "run.end", end)
        self.feeds.pop(run.id, None)
        m.hub.close_topic(run.id)
        run.viewers = 0
        m._publish_run(run)
        if m.history is not None:
            m._release_when_stored(run)
        m._trim_history()

    def _server_event(self, run: Run, kind: str, data: dict[str, Any]) -> None:
        feed = self.feeds.get(run.id)
        t0 = feed.t0 if feed is not None else time.monotonic_ns()
        self._deliver(run, [(time.monotonic_ns() - t0, os.getpid(), SERVER_PROC, kind, data)], server=True)

    def _deliver(self, run: Run, wires: list[WireEvent], server: bool = False) -> None:
        first = run.event_count
        encoded = encode_wires(run.id, first, wires)
        notable = [
            Event.from_wire(run.id, first + i, w) for i, w in enumerate(wires) if w[3] in SUMMARY_KINDS
        ]
        self.manager._on_events(run, notable, encoded, server=server)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(STALE_S / 6)
            now = time.monotonic()
            for run_id, feed in list(self.feeds.items()):
                if now - feed.last_seen > STALE_S:
                    reason = f"the tracer sent nothing for {STALE_S:g} s: it was stopped or killed"
                    self._close(self.manager.runs[run_id], feed, RunStatus.FAILED, reason, None, 0)


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
