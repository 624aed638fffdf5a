"""A code run's processes while they run, as the book sees them (a `Control`), and their supervisor.

The program runs as `mpscope trace` runs a script: the trace runtime (app/trace/boot/) in every
process, sending to a collector of our own, but inside the sandbox (app/code/sandbox.py). The
supervisor thread waits for the main process, a stop request (cancel, the event limit) or the time
limit; then it kills whatever of the run is left and hands the outcome to the event loop.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.code.output import OutputReader
from app.code.sandbox import Sandbox
from app.engine import code_meta
from app.engine.run import RunStatus
from app.events import SERVER_PROC, WireEvent
from app.trace.collector import Collector

POLL_S = 0.05
MAX_FRAME = 16 * 1024 * 1024  # a traced process sends batches of at most 512 events


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}: a code run's events carry plain data only")


def plain_loads(payload: bytes) -> Any:
    """A frame from a code run's process: plain data only (no class is ever looked up, so nothing of
    the program runs in the server), in the shape of a batch; run.* kinds are the server's own."""
    obj = _PlainUnpickler(io.BytesIO(payload)).load()
    if isinstance(obj, tuple):  # ("hello", pid)
        return obj
    if not isinstance(obj, list):
        raise pickle.UnpicklingError("not a batch")
    batch: list[WireEvent] = []
    for w in obj:
        if not (isinstance(w, tuple) and len(w) == 5):
            raise pickle.UnpicklingError("not a wire event")
        t, pid, proc, kind, data = w
        ok = isinstance(t, int) and isinstance(pid, int) and isinstance(data, dict)
        if not (ok and isinstance(proc, str) and isinstance(kind, str) and len(proc) <= 200):
            raise pickle.UnpicklingError("not a wire event")
        if not kind.startswith("run.") and 0 < len(kind) <= 64:
            batch.append((t, pid, proc, kind, data))
    return batch


@dataclass(eq=False)
class CodeProcess:
    """One code run's main process, collector, output reader and sandbox."""

    run_id: str
    t0: int
    sandbox: Sandbox
    collector: Collector
    popen: subprocess.Popen[bytes]
    output: OutputReader
    deliver: Callable[[list[WireEvent]], None]
    network_isolated: bool
    stopping: threading.Event = field(default_factory=threading.Event)
    stop_reason: tuple[RunStatus, str | None] | None = None
    paused: bool = False
    exitcode: int | None = None
    leftovers: int = 0

    # -- Control ------------------------------------------------------------------------------
    def stop(self, status: RunStatus, reason: str | None) -> None:
        if self.stop_reason is None:
            self.stop_reason = (status, reason)
            self.stopping.set()

    def pause(self, paused: bool) -> None:
        """Stop (SIGSTOP) or continue every process of the run; its time limit stops meanwhile."""
        if paused == self.paused:
            return
        self.paused = paused
        self.sandbox.signal_all(signal.SIGSTOP if paused else signal.SIGCONT)
        kind = "run.paused" if paused else "run.resumed"
        self.deliver([(time.monotonic_ns() - self.t0, os.getpid(), SERVER_PROC, kind, {})])

    def dropped(self) -> int:
        return self.collector.dropped

    # -- supervision --------------------------------------------------------------------------
    @property
    def processes(self) -> code_meta.Limit:
        return next(x for x in code_meta.limits_hit(self.sandbox.limits) if x.name == "processes")

    def _process_limit_hit(self) -> bool:
        """A fork or thread start refused by the process limit: the cgroup counted it, or (without a
        cgroup, under RLIMIT_NPROC) the program's stderr shows it."""
        if self.sandbox.cgroup is not None:
            return self.sandbox.process_limit_hits() > 0
        return bool(self.processes.marker.search(self.output.stderr_tail))

    def supervise(self, max_run_seconds: float) -> None:
        """Thread: wait for the main process, a stop request or the time limit; then kill what is
        left of the run, read the last of its events and output, and remove its sandbox."""
        deadline = time.monotonic() + max_run_seconds
        last = time.monotonic()
        while self.popen.poll() is None:
            if self.stopping.wait(POLL_S):
                break
            now = time.monotonic()
            if self.paused:
                deadline += now - last
            last = now
            if now > deadline:
                self.stop(RunStatus.FAILED, code_meta.time_message(max_run_seconds))
                break
            if self._process_limit_hit():  # a fork bomb stops here, not at the time limit
                self.stop(RunStatus.FAILED, self.processes.message)
                break
        # After a stop everything goes at once; after the program's own end, its leftovers (a daemon
        # process, say) get a second to finish, as under `mpscope trace`.
        if self.stop_reason is None and self.sandbox.wait_gone(1.0):
            self.leftovers = 0
        else:
            self.leftovers = self.sandbox.kill_all(grace=1.0)
        self.exitcode = self.popen.wait()
        self.collector.stop(grace=1.0)
        self.output.join(5.0)
        self.sandbox.close()

    def outcome(self) -> tuple[RunStatus, str | None, dict[str, Any] | None]:
        """(status, reason, run.error data) once supervised."""
        stderr = self.output.stderr_tail
        if self.stop_reason is not None:
            status, reason = self.stop_reason
            return status, reason, None
        if "mpscope: could not contain the program" in stderr:
            line = next(x for x in stderr.splitlines() if x.startswith("mpscope: could not contain"))
            return RunStatus.FAILED, line, None
        # with a cgroup, its count decides whether the process limit refused a start (a thread that
        # could not start for want of memory prints the same words); without one, stderr does
        refused = self.sandbox.refused > 0 if self.sandbox.cgroup is not None else None
        reason, error = code_meta.describe(
            self.exitcode, stderr, self.sandbox.limits, self.network_isolated, processes_refused=refused
        )
        if reason is None:
            return RunStatus.SUCCEEDED, None, None
        return RunStatus.FAILED, reason, error
