"""The book of runs: every run, whatever feeds it, is opened, fed batches and ended here.

Feeders (a scenario launch, a trace, an import) call the public API: `open` a run from its spec,
`start` it (run.start), `feed` it batches of events, and `end` it with a status (run.end), or `close` a
stream that carried its own run.end. The book numbers nothing itself: a batch arrives numbered from
the run's event count (app/events.py's `Batch`). It holds the runs, their history on disk, retention,
the lobby and the per-run event limit; it publishes to a `Publisher` and never sees a socket.
Only the event loop thread calls it.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import os
import secrets
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from app import jsonio
from app.config import Limits
from app.engine.index import RunIndex
from app.engine.ports import Control, Publisher
from app.engine.retention import runs_to_forget
from app.engine.run import Origin, Run, RunSpec, RunStatus
from app.errors import LimitExceeded, RunActive, RunNotActive
from app.events import SERVER_PROC, Batch, WireEvent
from app.storage.history import History, StoredEvents
from app.storage.store import EventStore

log = logging.getLogger("mpscope.book")
NO_RESULT: Any = object()  # `end` without a result of its own: the run's, folded from its events
LOBBY_EVERY_S = 0.5  # a live run's counters go to the lobby at most this often


@dataclass(eq=False)
class Live:
    """What the book keeps about a run while it takes events."""

    spec: RunSpec
    t0_ns: int  # CLOCK_MONOTONIC at the run's start: every event's t counts from it
    control: Control | None  # None: nothing here can stop or pause it (a trace, an import)
    over_limit: int = 0  # events refused past the per-run limit, reported as dropped
    last_lobby: float = 0.0


class RunBook(RunIndex[Run]):
    def __init__(self, limits: Limits, publisher: Publisher, history: History | None = None) -> None:
        super().__init__()
        self.limits = limits
        self.publisher = publisher
        self.history = history
        self._live: dict[str, Live] = {}
        self.forgotten_runs = 0
        if history is not None:
            for summary in history.load_runs():
                events = StoredEvents(history, summary["id"], summary["event_count"])
                self._runs[summary["id"]] = Run.from_dict(summary, events)
            self._trim_history(announce=False)  # no dashboard is open yet

    def is_live(self, run_id: str) -> bool:
        return run_id in self._live

    # -- a feeder's API -----------------------------------------------------------------------
    def open(self, spec: RunSpec, control: Control | None = None, t0_ns: int | None = None) -> Run:
        """A new run, queued and listed, taking events from now on. A run that holds processes counts
        against the limit of concurrent runs (an import holds none)."""
        if spec.origin is not Origin.IMPORT and self.active_count() >= self.limits.max_active_runs:
            raise LimitExceeded(
                f"limit of {self.limits.max_active_runs} concurrent runs reached; try again later"
            )
        run_id = secrets.token_hex(4)
        while run_id in self._runs:  # ids also come back from the history
            run_id = secrets.token_hex(4)
        run = Run(run_id, spec.scenario, spec.params, spec.start_method, origin=spec.origin, seed=spec.seed)
        self._runs[run_id] = run
        self._live[run_id] = Live(spec, time.monotonic_ns() if t0_ns is None else t0_ns, control)
        if self.history is not None:
            self.history.record_run(run.to_dict())
        self.publisher.open_topic(run_id)
        self._publish_run(run)
        return run

    def attach(self, run_id: str, control: Control) -> None:
        """Give a live run the control it gets once its processes exist."""
        self._require_live(run_id)[1].control = control

    def start(self, run_id: str, **measured: Any) -> None:
        """run.start, from the run's spec plus what its feeder measured (e.g. spawn_ms)."""
        run, live = self._require_live(run_id)
        self._emit(run, live, "run.start", live.spec.start_data(**measured))

    def next_seq(self, run_id: str) -> int:
        """Where the run's next batch must be numbered from."""
        return self._require_live(run_id)[0].event_count

    def feed(self, run_id: str, batch: Batch) -> int:
        """Take a batch numbered from the run's event count; returns how many events were kept. Past the
        per-run event limit, the rest are counted as dropped and the run is asked to stop."""
        run, live = self._require_live(run_id)
        room = max(self.limits.max_events_per_run - run.event_count, 0)
        if len(batch) > room:
            live.over_limit += len(batch) - room
            batch = batch.head(room)
            if live.control is not None:
                limit = self.limits.max_events_per_run
                live.control.stop(RunStatus.FAILED, f"limit of {limit:,} events per run exceeded")
        self._take(run, live, batch)
        return len(batch)

    def feed_wires(self, run_id: str, wires: builtins.list[WireEvent]) -> int:
        """`feed` for wire events [t, pid, proc, kind, data] (t from the run's t0), numbered here."""
        return self.feed(run_id, Batch.encode(run_id, self.next_seq(run_id), wires))

    def end(
        self,
        run_id: str,
        status: RunStatus,
        error: str | None = None,
        *,
        result: Any = NO_RESULT,
        dropped: int = 0,
    ) -> Run:
        """End a live run: run.result (if the feeder has one of its own), then run.end."""
        run, live = self._require_live(run_id)
        if result is not NO_RESULT:
            self._emit(run, live, "run.result", {"result": result})
        end = {
            "status": status.value,
            "result": run.result,
            "error": error,
            "dropped_events": dropped + live.over_limit,
            "event_count": run.event_count + 1,
            "wall_time": time.time(),
        }
        self._emit(run, live, "run.end", end)
        self._retire(run)
        return run

    def close(self, run_id: str) -> Run:
        """Retire a run whose own stream carried its run.end (an import)."""
        run, _ = self._require_live(run_id)
        if run.active:
            raise RunActive(f"run {run_id} is {run.status.value}: its events ended without run.end")
        self._retire(run)
        return run

    def t_ns(self, run_id: str) -> int:
        """Now, on the run's clock: what t a feeder gives an event of the server's own."""
        return time.monotonic_ns() - self._require_live(run_id)[1].t0_ns

    # -- the presenter's API ------------------------------------------------------------------
    def cancel(self, run_id: str) -> Run:
        run = self.get(run_id)
        live = self._live.get(run_id)
        if live is not None and run.active:
            if live.control is None:
                raise RunNotActive(
                    f"run {run_id} is fed from outside the server ({run.origin.value}): "
                    "stop it where it runs (Ctrl-C)"
                )
            live.control.stop(RunStatus.CANCELLED, None)
        return run

    def pause(self, run_id: str, paused: bool = True) -> Run:
        """Pause (or resume) every process of a live run at its next reported step."""
        run = self.get(run_id)
        live = self._live.get(run_id)
        if live is None or live.control is None or not run.active:
            raise RunNotActive(f"run {run_id} is {run.status.value}: only a running run can be paused")
        live.control.pause(paused)
        # The event is folded when the relay numbers it; the answer (and the lobby) must already say so,
        # or a client could see the lobby's new state and then this answer's old one.
        run.paused = paused
        self._publish_run(run)
        return run

    def delete(self, run_id: str) -> None:
        """Forget a finished run, in memory and in the history. An active run must be cancelled first."""
        run = self.get(run_id)
        if run.active:
            raise RunActive(f"run {run_id} is {run.status.value}: cancel it before deleting it")
        self._forget(run, announce=True)

    def set_viewers(self, run_id: str, viewers: int) -> None:
        run = self._runs.get(run_id)
        if run is not None:
            run.viewers = viewers
            self._publish_run(run)

    def stop_all(self, reason: str) -> None:
        """Server shutdown: ask every stoppable run to stop; end the others (traces) here and now."""
        for run_id, live in list(self._live.items()):
            if live.control is not None:
                live.control.stop(RunStatus.CANCELLED, reason)
            elif self._runs[run_id].active:
                self.end(run_id, RunStatus.CANCELLED, reason)

    # -- inside -------------------------------------------------------------------------------
    def _require_live(self, run_id: str) -> tuple[Run, Live]:
        run = self.get(run_id)
        live = self._live.get(run_id)
        if live is None:
            raise RunNotActive(f"run {run_id} is {run.status.value}: it takes no more events")
        return run, live

    def _emit(self, run: Run, live: Live, kind: str, data: dict[str, Any]) -> None:
        wire: WireEvent = (time.monotonic_ns() - live.t0_ns, os.getpid(), SERVER_PROC, kind, data)
        self._take(run, live, Batch.encode(run.id, run.event_count, [wire]))

    def _take(self, run: Run, live: Live, batch: Batch) -> None:
        if batch.first != run.event_count:
            raise RuntimeError(f"run {run.id}: a batch from seq {batch.first}, expected {run.event_count}")
        changed = False
        for event in batch.notable:
            changed |= run.apply(event)
        run.events.extend(batch.encoded)
        if self.history is not None:
            self.history.record_events(run.id, batch.first, batch.encoded)
            if changed:
                self.history.record_run(run.to_dict())
        self.publisher.publish(run.id, batch.encoded)
        now = time.monotonic()
        if changed or now - live.last_lobby > LOBBY_EVERY_S:
            live.last_lobby = now
            if run.active:  # the live count; run.end carries the final one
                run.dropped_events = live.over_limit + (live.control.dropped() if live.control else 0)
            self._publish_run(run)

    def _retire(self, run: Run) -> None:
        self._live.pop(run.id, None)
        self.publisher.close_topic(run.id)
        run.viewers = 0
        self._publish_run(run)
        if self.history is not None:
            self._release_when_stored(run)
        self._trim_history()

    def _release_when_stored(self, run: Run) -> None:
        """Once a finished run is committed to the history, its events are read from there: memory
        holds only live runs' events. With no event loop (an offline import) there is nothing to free."""
        history = self.history
        assert history is not None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        def stored(ok: bool) -> None:  # on the writer thread
            if ok:
                with suppress(RuntimeError):  # the loop has closed: the server is gone
                    loop.call_soon_threadsafe(release)

        def release() -> None:
            if self._runs.get(run.id) is run and not run.active and isinstance(run.events, EventStore):
                run.events = StoredEvents(history, run.id, run.event_count)

        history.when_stored(stored)

    def _publish_run(self, run: Run) -> None:
        self.publisher.publish_run(run.id, run.to_json())

    def _forget(self, run: Run, announce: bool) -> None:
        del self._runs[run.id]
        if self.history is not None:
            self.history.delete(run.id)
        if announce:
            self.publisher.publish_run(run.id, jsonio.dumps({"id": run.id, "deleted": True}))

    def _trim_history(self, announce: bool = True) -> None:
        """Apply the documented retention policy (app/engine/retention.py) in memory and on disk."""
        for run in runs_to_forget(
            self._runs.values(), self.limits.max_kept_runs, self.limits.max_stored_events
        ):
            self._forget(run, announce)
            self.forgotten_runs += 1
            log.info(
                "forgot run %s (%s, %d events): retention keeps the newest %d finished runs and %d events",
                run.id,
                run.scenario,
                run.event_count,
                self.limits.max_kept_runs,
                self.limits.max_stored_events,
            )
