"""A launched run's processes, as the book sees them (a `Control`), and the thread that supervises them.

The supervisor waits for the run's main process, a stop request or the time limit; then it reaps the
whole process group and hands the run's end to the event loop. The outcome (succeeded, or failed with
the reason) is read from what the run reported and how its main process exited.
"""

from __future__ import annotations

import logging
import multiprocessing.connection
import os
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess

from app.engine.procs import dump_stacks, kill_group
from app.engine.relay import Relay
from app.engine.run import Run, RunStatus
from app.events import Event, WireEvent
from app.lesson.reporter import EventQueue
from app.lesson.watch import describe_exit

RELAY_QUIET_S = 5.0  # a relay with nothing new this long after the run's group was reaped is stopped
log = logging.getLogger("mpscope.supervisor")
POLL_S = 0.05


@dataclass(eq=False)
class ProcessControl:
    """A live run's OS-level parts: its main process, event queue and relay. Never shown to clients."""

    run_id: str
    t0_ns: int
    process: BaseProcess
    queue: EventQueue
    relay: Relay
    stopping: threading.Event = field(default_factory=threading.Event)
    stop_reason: tuple[RunStatus, str | None] | None = None

    # -- Control ----------------------------------------------------------------------------------
    def stop(self, status: RunStatus, reason: str | None) -> None:
        if self.stop_reason is None:
            self.stop_reason = (status, reason)
            self.stopping.set()

    def pause(self, paused: bool) -> None:
        if bool(self.queue.paused.value) != paused:
            self.queue.paused.value = int(paused)
            kind = "run.paused" if paused else "run.resumed"
            self.relay.inject((time.monotonic_ns() - self.t0_ns, os.getpid(), "mpscope", kind, {}))

    def dropped(self) -> int:
        return int(self.queue.dropped.value)

    # -- supervision --------------------------------------------------------------------------------
    def supervise(self, max_run_seconds: float) -> None:
        """Thread: wait for the main process, a stop request or the time limit; then reap everything."""
        deadline = time.monotonic() + max_run_seconds
        last = time.monotonic()
        while not self.stopping.is_set():
            if multiprocessing.connection.wait([self.process.sentinel], timeout=POLL_S):
                break
            now = time.monotonic()
            if self.queue.paused.value:  # a paused run's clock stops: a lecture may pause for minutes
                deadline += now - last  # all of the time since the last look, however late it comes
            last = now
            if now > deadline:
                self.stop_reason = (RunStatus.FAILED, f"time limit of {max_run_seconds:g} s per run exceeded")
                log.warning("run %s hit its time limit; its processes' stacks follow on stderr", self.run_id)
                dump_stacks(self.process.pid or 0, self.relay.started_pids())
                break
        # The group's leader is the main process (pgid == its pid), unless it died before os.setpgid.
        kill_group(self.process.pid or 0, grace=1.0)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.drain_relay()

    def drain_relay(self) -> None:
        """Let the relay read to the queue's end. A slow one (a loaded machine) is waited for as long as
        events keep coming: stopping it then would lose the run's last events, its process.exit and
        run.error among them. Only a relay with nothing new for RELAY_QUIET_S is stopped: a process
        outside the group still holds the queue open."""
        seen = -1
        while self.relay.next_seq != seen:
            seen = self.relay.next_seq
            self.relay.join(RELAY_QUIET_S)
            if not self.relay.is_alive():
                return
        log.warning(
            "run %s: its queue is still open %g s after its processes ended", self.run_id, RELAY_QUIET_S
        )
        self.relay.stop()
        self.relay.join()

    def unsent_last_words(self, run: Run) -> list[WireEvent]:
        """The main process's final events that its queue did not carry: a process died holding the
        queue's write lock, so they are only in shared memory (EventQueue.write_last_words). The run's
        error is the last of them: when it came through the queue, so did the others."""
        if run.error is not None:
            return []
        wires = self.queue.read_last_words()
        if any(kind == "process.exit" for _, _, _, kind, _ in wires):
            exited = _exited_pids(run)  # one that came through before the queue stuck is not repeated
            wires = [w for w in wires if w[3] != "process.exit" or w[1] not in exited]
        return wires

    def outcome(self, run: Run) -> tuple[RunStatus, str | None]:
        """How the run ended, once supervised: a stop request's reason, else what the run reported."""
        workers = "\n\n".join(run.worker_errors)
        if self.stop_reason is not None:
            return self.stop_reason
        error = run.error
        if error is not None:
            return RunStatus.FAILED, f"{error}\n\n{workers}".rstrip()
        if self.process.exitcode != 0:
            exit_ = describe_exit("main", self.process.pid, self.process.exitcode)
            return RunStatus.FAILED, f"{exit_}\n\n{workers}".rstrip()
        if self.relay.error is not None:
            return RunStatus.FAILED, f"event stream broken: {self.relay.error}"
        if run.result is None:
            return RunStatus.FAILED, "the run ended without reporting a result"
        return RunStatus.SUCCEEDED, None


def _exited_pids(run: Run) -> set[int]:
    """The pids with a process.exit in the run's stream (read only when a run's queue got stuck)."""
    found = (Event.from_json(raw) for raw in run.events if b'"process.exit"' in raw)
    return {e.pid for e in found if e.kind == "process.exit"}
