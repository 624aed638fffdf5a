"""The run manager: validates requests, starts each run's processes, supervises and ends them.

Every run gets its own event queue, relay thread and supervisor thread, so a run that is killed
mid-write (which can leave its queue's lock held or a message torn) never affects another run.
Only the event loop thread changes a Run; the threads hand their results over with
`call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import multiprocessing
import multiprocessing.connection
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

import orjson

from app.config import Settings
from app.errors import LimitExceeded, RunActive, RunNotActive, UnknownRun, UnknownScenario
from app.events import SERVER_PROC, Event, json_array
from app.history import History, StoredEvents
from app.hub import Hub
from app.procs import dump_stacks, kill_group
from app.reaper import Reaper
from app.relay import Relay
from app.reporter import EventQueue, Reporter
from app.retention import runs_to_forget
from app.run import Run, RunStatus
from app.runtime import run_main
from app.scenarios import REGISTRY, Scenario
from app.store import EventStore
from app.validation import validate_request
from app.watch import describe_exit

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext

log = logging.getLogger("mpscope.runs")

PRELOAD = ["app.runtime", "app.scenarios"]


def root_context() -> ForkServerContext:
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(PRELOAD)
    return mp


def warm_up() -> None:
    """Start the forkserver now (it imports every scenario once), so the first run starts fast."""
    from multiprocessing import forkserver

    root_context()
    forkserver.ensure_running()


@dataclass(eq=False)
class Handles:
    """A live run's OS-level parts, owned by the manager and never shown to clients."""

    t0_ns: int
    process: BaseProcess
    queue: EventQueue
    relay: Relay
    stop: threading.Event
    stop_reason: tuple[RunStatus, str | None] | None = None
    last_lobby: float = 0.0
    over_limit: int = 0  # events refused past the per-run limit, reported as dropped


class RunManager:
    def __init__(
        self,
        settings: Settings,
        hub: Hub,
        registry: dict[str, Scenario] | None = None,
        reaper: Reaper | None = None,
        history: History | None = None,
    ) -> None:
        self.settings = settings
        self.reaper = reaper
        self.limits = settings.limits
        self.hub = hub
        self.registry = REGISTRY if registry is None else registry
        self.runs: dict[str, Run] = {}
        self.handles: dict[str, Handles] = {}
        self._supervisors: dict[str, threading.Thread] = {}
        self._starter = ThreadPoolExecutor(1, thread_name_prefix="run-starter")
        self.forgotten_runs = 0
        self.history = history
        if history is not None:
            for summary in history.load_runs():
                events = StoredEvents(history, summary["id"], summary["event_count"])
                self.runs[summary["id"]] = Run.from_dict(summary, events)
            self._trim_history(announce=False)  # no dashboard is open yet (and no event loop runs)

    # -- queries ------------------------------------------------------------------------------
    def get(self, run_id: str) -> Run:
        try:
            return self.runs[run_id]
        except KeyError:
            raise UnknownRun(f"no run with id {run_id!r}") from None

    def list(self, scenario: str | None = None, status: str | None = None) -> list[Run]:
        """Runs newest first, optionally only one scenario's or one status's."""
        runs = (
            r for r in self.runs.values() if scenario in (None, r.scenario) and status in (None, r.status)
        )
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def delete(self, run_id: str) -> None:
        """Forget a finished run, in memory and in the history. An active run must be cancelled first."""
        run = self.get(run_id)
        if run.active:
            raise RunActive(f"run {run_id} is {run.status.value}: cancel it before deleting it")
        del self.runs[run_id]
        if self.history is not None:
            self.history.delete(run_id)
        self.hub.publish_run(run_id, orjson.dumps({"id": run_id, "deleted": True}))

    def scenario(self, scenario_id: str) -> Scenario:
        try:
            return self.registry[scenario_id]
        except KeyError:
            raise UnknownScenario(f"no scenario with id {scenario_id!r}") from None

    # `builtins.list`: in this class, `list` is the method above.
    def events_after(self, run_id: str, after: int = -1) -> builtins.list[bytes]:
        return self.get(run_id).events[max(after + 1, 0) :]

    def lobby_snapshot(self) -> bytes:
        return json_array([run.to_json() for run in self.list()])

    def active_count(self) -> int:
        return sum(1 for run in self.runs.values() if run.active)

    # -- starting -----------------------------------------------------------------------------
    def validate(self, scenario_id: str, params: dict[str, Any], start_method: str | None) -> tuple[Any, str]:
        """The params model and start method of a valid request; InvalidRequest naming the field."""
        return validate_request(
            self.scenario(scenario_id),
            params,
            start_method or self.settings.start_method,
            self.limits.max_processes_per_run,
        )

    async def start(
        self,
        scenario_id: str,
        params: dict[str, Any],
        start_method: str | None = None,
        seed: int | None = None,
    ) -> Run:
        model, method = self.validate(scenario_id, params, start_method)
        if self.active_count() >= self.limits.max_active_runs:
            raise LimitExceeded(
                f"limit of {self.limits.max_active_runs} concurrent runs reached; try again later"
            )
        run_id = secrets.token_hex(4)
        while run_id in self.runs:  # ids also come back from the history
            run_id = secrets.token_hex(4)
        run = Run(
            run_id,
            scenario_id,
            model.model_dump(),
            method,
            seed=secrets.randbits(32) if seed is None else seed,
        )
        self.runs[run.id] = run
        if self.history is not None:
            self.history.record_run(run.to_dict())
        self.hub.open_topic(run.id)
        self._publish_run(run)
        loop = asyncio.get_running_loop()
        t0 = time.monotonic_ns()
        try:
            queue, process = await loop.run_in_executor(self._starter, self._spawn, run, t0)
        except Exception as exc:  # e.g. out of processes: the run fails, the server carries on
            self._emit(
                run,
                t0,
                "run.start",
                {
                    "scenario": run.scenario,
                    "params": run.params,
                    "start_method": method,
                    "wall_time": time.time(),
                },
            )
            self._emit(
                run, t0, "run.end", self._end_data(run, RunStatus.FAILED, f"could not start: {exc}", 0)
            )
            self.hub.close_topic(run.id)
            return run
        self._emit(
            run,
            t0,
            "run.start",
            {
                "scenario": run.scenario,
                "title": self.registry[scenario_id].title,
                "params": run.params,
                "start_method": method,
                "seed": run.seed,
                "wall_time": time.time(),
                "spawn_ms": (time.monotonic_ns() - t0) / 1e6,
            },
        )

        def deliver(events: list[Event], encoded: list[bytes]) -> None:
            loop.call_soon_threadsafe(self._on_events, run, events, encoded)

        if self.reaper is not None and process.pid is not None:
            self.reaper.watch(process.pid)
        relay = Relay(run.id, queue, run.event_count, deliver)
        handles = Handles(t0, process, queue, relay, threading.Event())
        self.handles[run.id] = handles
        relay.start()
        supervisor = threading.Thread(
            target=self._supervise, args=(run, handles, loop), name=f"supervise-{run.id}", daemon=True
        )
        self._supervisors[run.id] = supervisor
        supervisor.start()
        return run

    def _spawn(self, run: Run, t0: int) -> tuple[EventQueue, BaseProcess]:
        # The run's main process always comes from the preloaded forkserver: a clean single-threaded
        # parent, like a student's script. The requested start method applies to the processes the
        # scenario starts. Forking this multi-threaded server itself can hang the child (a lock held
        # by another thread at fork time), and would hand it our sockets.
        mp = root_context()
        queue = EventQueue(mp)
        process = mp.Process(
            target=run_main,
            name=f"mpscope-run-{run.id}",
            args=(
                self.registry[run.scenario],
                run.params,
                Reporter(queue, t0),
                run.start_method,
                os.getpid(),
                run.seed,
            ),
        )
        process.start()
        # Only the run's processes hold the write end now: when they are all gone the relay sees EOF.
        queue._writer.close()  # type: ignore[attr-defined]
        return queue, process

    def adopt(self, run: Run) -> Run:
        """Keep a finished run from elsewhere (an import): listed and viewable like any other."""
        self.runs[run.id] = run
        if self.history is not None:
            self.history.record_run(run.to_dict())
            self.history.record_events(run.id, 0, list(run.events))
            self._release_when_stored(run)
        self._publish_run(run)
        self._trim_history()
        return run

    def _release_when_stored(self, run: Run) -> None:
        """Once a finished run is committed to the history, its events are read from there: memory
        holds only live runs' events."""
        history, loop = self.history, asyncio.get_running_loop()
        assert history is not None

        def stored(ok: bool) -> None:  # on the writer thread
            if ok:
                with suppress(RuntimeError):  # the loop has closed: the server is gone
                    loop.call_soon_threadsafe(release)

        def release() -> None:
            if self.runs.get(run.id) is run and not run.active and isinstance(run.events, EventStore):
                run.events = StoredEvents(history, run.id, run.event_count)

        history.when_stored(stored)

    # -- stopping -----------------------------------------------------------------------------
    def cancel(self, run_id: str) -> Run:
        run = self.get(run_id)
        if run.active and run.scenario == "trace":
            raise RunNotActive(f"run {run_id} is a traced program: stop it where it runs (Ctrl-C)")
        self._stop(run, RunStatus.CANCELLED, None)
        return run

    def pause(self, run_id: str, paused: bool = True) -> Run:
        """Pause (or resume) every process of a live run at its next reported step."""
        run = self.get(run_id)
        h = self.handles.get(run_id)
        if h is None or not run.active:
            raise RunNotActive(f"run {run_id} is {run.status.value}: only a running run can be paused")
        if bool(h.queue.paused.value) != paused:
            h.queue.paused.value = int(paused)
            kind = "run.paused" if paused else "run.resumed"
            h.relay.inject((time.monotonic_ns() - h.t0_ns, os.getpid(), SERVER_PROC, kind, {}))
        # The event is folded when the relay numbers it; the answer (and the lobby) must already say so,
        # or a client could see the lobby's new state and then this answer's old one.
        run.paused = paused
        self._publish_run(run)
        return run

    def _stop(self, run: Run, status: RunStatus, reason: str | None) -> None:
        handles = self.handles.get(run.id)
        if handles is not None and handles.stop_reason is None:
            handles.stop_reason = (status, reason)
            handles.stop.set()

    def _supervise(self, run: Run, h: Handles, loop: asyncio.AbstractEventLoop) -> None:
        """Thread: wait for the main process, a stop request or the time limit; then reap everything."""
        deadline = time.monotonic() + self.limits.max_run_seconds
        while not h.stop.is_set():
            if multiprocessing.connection.wait([h.process.sentinel], timeout=0.05):
                break
            if h.queue.paused.value:  # a paused run's clock stops: a lecture may pause for minutes
                deadline += 0.05
            if time.monotonic() > deadline:
                h.stop_reason = (
                    RunStatus.FAILED,
                    f"time limit of {self.limits.max_run_seconds:g} s per run exceeded",
                )
                log.warning("run %s hit its time limit; its processes' stacks follow on stderr", run.id)
                dump_stacks(h.process.pid or 0)
                break
        # The group's leader is the main process (pgid == its pid), unless it died before os.setpgid.
        kill_group(h.process.pid or 0, grace=1.0)
        if h.process.is_alive():
            h.process.kill()
        h.process.join(5)
        h.relay.join(5)
        if h.relay.is_alive():  # a process outside the group still holds the queue: stop reading
            h.relay.stop()
            h.relay.join()
        loop.call_soon_threadsafe(self._finish, run, h)

    def _finish(self, run: Run, h: Handles) -> None:
        status, error = self._outcome(run, h)
        dropped = int(h.queue.dropped.value) + h.over_limit
        self._emit(run, h.t0_ns, "run.end", self._end_data(run, status, error, dropped))
        self.hub.close_topic(run.id)
        run.viewers = 0
        self._publish_run(run)
        h.queue.close()
        if self.reaper is not None and h.process.pid is not None:
            self.reaper.forget(h.process.pid)
        self.handles.pop(run.id, None)
        self._supervisors.pop(run.id, None)
        if self.history is not None:
            self._release_when_stored(run)
        self._trim_history()

    def _outcome(self, run: Run, h: Handles) -> tuple[RunStatus, str | None]:
        workers = "\n\n".join(run.worker_errors)
        if h.stop_reason is not None:
            status, reason = h.stop_reason
            return status, reason
        if run.error is None and (last := h.queue.read_last_words()) is not None:
            # The main process's error could not come through the queue (a process died holding the
            # queue's write lock): it left it in shared memory.
            run.error = f"{last.get('error')}\n\n{last.get('traceback', '')}".rstrip()
        if run.error is not None:
            return RunStatus.FAILED, f"{run.error}\n\n{workers}".rstrip()
        if h.process.exitcode != 0:
            return (
                RunStatus.FAILED,
                f"{describe_exit('main', h.process.pid, h.process.exitcode)}\n\n{workers}".rstrip(),
            )
        if h.relay.error is not None:
            return RunStatus.FAILED, f"event stream broken: {h.relay.error}"
        if run.result is None:
            return RunStatus.FAILED, "the run ended without reporting a result"
        return RunStatus.SUCCEEDED, None

    def _end_data(self, run: Run, status: RunStatus, error: str | None, dropped: int) -> dict[str, Any]:
        return {
            "status": status.value,
            "result": run.result,
            "error": error,
            "dropped_events": dropped,
            "event_count": run.event_count + 1,
            "wall_time": time.time(),
        }

    # -- events -------------------------------------------------------------------------------
    def _emit(self, run: Run, t0_ns: int, kind: str, data: dict[str, Any]) -> None:
        event = Event(
            run.id, run.event_count, time.monotonic_ns() - t0_ns, os.getpid(), SERVER_PROC, kind, data
        )
        self._on_events(run, [event], [event.to_json()], server=True)

    def _on_events(
        self, run: Run, notable: builtins.list[Event], encoded: builtins.list[bytes], server: bool = False
    ) -> None:
        """Take a batch: `encoded` holds every event's JSON in seq order; `notable` the few of them
        that change the run's summary. Past the per-run event limit, the run is stopped and what it
        sends is counted as dropped; the server's own events (run.start, run.end) always go in."""
        h = self.handles.get(run.id)
        room = self.limits.max_events_per_run - run.event_count
        if not server and len(encoded) > room and h is not None:
            h.over_limit += len(encoded) - max(room, 0)
            encoded = encoded[: max(room, 0)]
            notable = [e for e in notable if e.seq < run.event_count + len(encoded)]
            limit = self.limits.max_events_per_run
            self._stop(run, RunStatus.FAILED, f"limit of {limit:,} events per run exceeded")
        changed = False
        for event in notable:
            changed |= run.apply(event)
        first = run.event_count
        run.events.extend(encoded)
        if self.history is not None:
            self.history.record_events(run.id, first, encoded)
            if changed:
                self.history.record_run(run.to_dict())
        self.hub.publish(run.id, encoded)
        now = time.monotonic()
        if changed or h is None or now - h.last_lobby > 0.5:
            if h is not None and run.active:  # live count; run.end carries the final one
                h.last_lobby = now
                run.dropped_events = int(h.queue.dropped.value) + h.over_limit
            self._publish_run(run)

    def viewers_changed(self, run_id: str) -> None:
        run = self.runs.get(run_id)
        if run is not None:
            run.viewers = self.hub.viewers(run_id)
            self._publish_run(run)

    def _publish_run(self, run: Run) -> None:
        self.hub.publish_run(run.id, run.to_json())

    def _trim_history(self, announce: bool = True) -> None:
        """Apply the documented retention policy (app/retention.py) in memory and in the history."""
        for run in runs_to_forget(
            self.runs.values(), self.limits.max_kept_runs, self.limits.max_stored_events
        ):
            del self.runs[run.id]
            if self.history is not None:
                self.history.delete(run.id)
            if announce:
                self.hub.publish_run(run.id, orjson.dumps({"id": run.id, "deleted": True}))
            self.forgotten_runs += 1
            log.info(
                "forgot run %s (%s, %d events): retention keeps the newest %d finished runs and %d events",
                run.id,
                run.scenario,
                run.event_count,
                self.limits.max_kept_runs,
                self.limits.max_stored_events,
            )

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every run and wait (bounded) until their processes are reaped."""
        for run in list(self.runs.values()):
            if run.active:
                self._stop(run, RunStatus.CANCELLED, "server shutting down")
        deadline = time.monotonic() + timeout
        for thread in list(self._supervisors.values()):
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
        await asyncio.sleep(0)  # let the supervisors' _finish callbacks run
        self._starter.shutdown(wait=False)
