"""Launching a scenario: validate the request, start the run's main process, feed the book from it.

A scenario run is one feeder of the book (app/engine/book.py): it opens a run, starts its main process
from a preloaded forkserver, relays its events (app/engine/relay.py) and supervises its processes
(app/engine/supervisor.py) until it ends the run with its outcome. Every run gets its own event queue,
relay thread and supervisor thread, so a run killed mid-write never affects another.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.engine.book import RunBook
from app.engine.reaper import Reaper
from app.engine.relay import Relay
from app.engine.run import Origin, Run, RunSpec, RunStatus
from app.engine.supervisor import ProcessControl
from app.engine.validation import validate_request
from app.errors import UnknownScenario
from app.events import Batch
from app.lesson.reporter import EventQueue, Reporter
from app.lesson.runtime import PRELOAD, run_main
from app.lesson.scenario import Params, Scenario
from app.scenarios import REGISTRY

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext


def root_context() -> ForkServerContext:
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(PRELOAD)
    return mp


def warm_up() -> None:
    """Start the forkserver now (it imports every scenario once), so the first run starts fast."""
    from multiprocessing import forkserver

    root_context()
    forkserver.ensure_running()


class ScenarioLauncher:
    def __init__(
        self,
        book: RunBook,
        settings: Settings,
        registry: dict[str, Scenario[Any]] | None = None,
        reaper: Reaper | None = None,
    ) -> None:
        self.book = book
        self.settings = settings
        self.limits = settings.limits
        self.registry = REGISTRY if registry is None else registry
        self.reaper = reaper
        self._supervisors: dict[str, threading.Thread] = {}
        self._starter = ThreadPoolExecutor(1, thread_name_prefix="run-starter")

    def scenario(self, scenario_id: str) -> Scenario[Any]:
        try:
            return self.registry[scenario_id]
        except KeyError:
            raise UnknownScenario(f"no scenario with id {scenario_id!r}") from None

    def validate(
        self, scenario_id: str, params: dict[str, Any], start_method: str | None
    ) -> tuple[Params, str]:
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
        spec = RunSpec(
            Origin.SCENARIO,
            scenario_id,
            self.registry[scenario_id].title,
            model.model_dump(),
            method,
            seed=secrets.randbits(32) if seed is None else seed,
        )
        t0 = time.monotonic_ns()
        run = self.book.open(spec, t0_ns=t0)
        loop = asyncio.get_running_loop()
        try:
            queue, process = await loop.run_in_executor(self._starter, self._spawn, run, t0)
        except Exception as exc:  # e.g. out of processes: the run fails, the server carries on
            self.book.start(run.id)
            self.book.end(run.id, RunStatus.FAILED, f"could not start: {exc}")
            return run
        self.book.start(run.id, spawn_ms=(time.monotonic_ns() - t0) / 1e6)

        def deliver(batch: Batch) -> None:  # on the relay thread
            loop.call_soon_threadsafe(self.book.feed, run.id, batch)

        if self.reaper is not None and process.pid is not None:
            self.reaper.watch(process.pid)
        relay = Relay(run.id, queue, self.book.next_seq(run.id), deliver)
        control = ProcessControl(run.id, t0, process, queue, relay)
        self.book.attach(run.id, control)
        relay.start()

        def supervise() -> None:
            control.supervise(self.limits.max_run_seconds)
            loop.call_soon_threadsafe(self._finish, run, control)

        supervisor = threading.Thread(target=supervise, name=f"supervise-{run.id}", daemon=True)
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
        queue.close_writer()
        return queue, process

    def _finish(self, run: Run, control: ProcessControl) -> None:
        if wires := control.unsent_last_words(run):
            self.book.feed_wires(run.id, wires)  # numbered after everything the relay handed on
        status, error = control.outcome(run)
        self.book.end(run.id, status, error, dropped=control.dropped())
        control.queue.close()
        if self.reaper is not None and control.process.pid is not None:
            self.reaper.forget(control.process.pid)
        self._supervisors.pop(run.id, None)

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every run and wait (bounded) until their processes are reaped."""
        self.book.stop_all("server shutting down")
        deadline = time.monotonic() + timeout
        for thread in list(self._supervisors.values()):
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
        await asyncio.sleep(0)  # let the supervisors' _finish callbacks run
        self._starter.shutdown(wait=False)
