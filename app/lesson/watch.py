"""Fail fast inside a run: notice a child that dies, and interrupt whatever the main process waits on.

A scenario's main process may be blocked anywhere when a worker dies: joining another worker, putting
into a Queue that only the dead consumer would have drained, reading a Pipe whose other end is gone.
`ChildWatch` runs a thread in the main process that waits on every child's sentinel. A child that
finished its work sets its flag in shared memory first, so the watch never has to read an exit code
(which would race the main thread's own join). A child that ends without its flag died: the watch
sends SIGUSR1 to the main thread, whose handler raises WorkerFailed naming the process and its signal.

Unwinding from there may itself wait for ever: `Pool.terminate()` (run by `with Pool(...)`) takes the
task queue's read lock, and a worker killed while it waited for a task holds that lock for good. So the
watch gives the main thread CLEANUP_GRACE_S to reach the runtime's handler; after that it calls
`on_stuck`, which reports the failure and ends the run's process group.
"""

from __future__ import annotations

import multiprocessing.connection
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

CAPACITY = 256
# How long the main thread may take, once WorkerFailed is raised in it, to unwind to the runtime's
# handler (a clean-up normally takes milliseconds; a Pool's may wait for a lock a dead worker holds).
CLEANUP_GRACE_S = 5.0


class WorkerFailed(RuntimeError):
    """A process of the run ended with a non-zero exit code (or was killed by a signal)."""

    def __init__(self, message: str, process: BaseProcess | None = None) -> None:
        super().__init__(message)
        self.process = process  # the one that failed, when known


def describe_exit(name: str, pid: int | None, exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            sig = signal.Signals(-exitcode).name
        except ValueError:
            sig = f"signal {-exitcode}"
        return f"process {name} (pid {pid}) was killed by {sig}"
    return f"process {name} (pid {pid}) exited with code {exitcode}"


REAPING_MODULES = ("popen_fork.py", "popen_forkserver.py", "popen_spawn_posix.py", "forkserver.py")


def _reaping(frame: FrameType | None, pid: int | None) -> bool:
    """True inside the stdlib code that reaps child `pid` and records its exit status. A wait on
    another process (say a blocking join() of a worker that will never end) may well be interrupted:
    nothing is lost there, and deferring would leave the run hanging."""
    for _ in range(3):
        if frame is None:
            return False
        if frame.f_code.co_filename.endswith(REAPING_MODULES):
            popen = frame.f_locals.get("self")
            if getattr(popen, "pid", None) == pid:
                return True
        frame = frame.f_back
    return False


def _stack_of(thread_id: int | None) -> str:
    """Where a thread of this process is now (the stdlib's one way to see another thread's frames)."""
    frame = sys._current_frames().get(thread_id or 0)  # noqa: SLF001 - documented, if underscored
    return "".join(traceback.format_stack(frame)) if frame is not None else ""


class ChildDied(WorkerFailed):
    """Raised in the main thread by the watch's signal: a child ended without finishing its work."""


class ChildWatch:
    def __init__(self, mp: BaseContext, on_stuck: Callable[[BaseProcess, str], None] | None = None) -> None:
        """on_stuck(dead, where): called from the watch's thread when the main thread has not reached
        the runtime's handler (`disarm`) CLEANUP_GRACE_S after the error was raised in it; `where` is
        the main thread's stack at that moment."""
        self.flags: Any = mp.RawArray("b", CAPACITY)  # flags[i] = 1: child i finished its target
        self.children: list[BaseProcess] = []
        self.dead: BaseProcess | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._armed = True
        self._raised = False
        self._disarmed = threading.Event()
        self.on_stuck = on_stuck
        self.pools: list[Any] = []
        self._pool_workers: dict[int, BaseProcess] = {}

    def add(self, process: BaseProcess) -> int:
        """Watch a child (before or after it starts); returns the index of its flag. A process that is
        not a RunContext child (a Manager's server, say) never sets its flag: `release` it before an
        expected end."""
        if len(self.children) >= CAPACITY:
            raise RuntimeError(f"a run can watch at most {CAPACITY} processes")
        self.children.append(process)
        return len(self.children) - 1

    def release(self, process: BaseProcess) -> None:
        """Its end is expected from now on (e.g. a Manager's server about to be shut down)."""
        for i, child in enumerate(self.children):
            if child is process:
                self.flags[i] = 1

    def add_pool(self, pool: Any) -> None:
        """Watch a Pool's workers. A killed worker is replaced by the Pool, but the task it held is lost
        and map() would wait forever (CPython issue 96062): the run fails instead, naming the worker.
        The Pool's own thread reaps its workers; the watch only reads the exit code it stored."""
        self.pools.append(pool)
        self._note_pool_workers()  # now, not at the next poll: the Pool may reap a dead worker in ms

    def _note_pool_workers(self) -> None:
        for pool in list(self.pools):
            self._pool_workers.update({id(w): w for w in list(getattr(pool, "_pool", []))})

    def release_pool(self, pool: Any) -> None:
        """The Pool is closing or being terminated: its workers' ends are expected from now on."""
        self.pools = [p for p in self.pools if p is not pool]

    def _dead_pool_worker(self) -> BaseProcess | None:
        self._note_pool_workers()
        if not self.pools:
            return None
        for worker in self._pool_workers.values():
            code = getattr(getattr(worker, "_popen", None), "returncode", None)
            if code not in (None, 0):
                return worker
        return None

    def start(self) -> None:
        signal.signal(signal.SIGUSR1, self._on_death)
        self._thread = threading.Thread(target=self._watch, name="child-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        seen: set[int] = set()
        main = threading.main_thread().ident
        while not self._stopped.is_set():
            started = {
                p.sentinel: i
                for i, p in enumerate(self.children)
                if p.pid is not None and i not in seen  # started
            }
            # Poll faster while a Pool is watched: it replaces a dead worker within milliseconds.
            interval = 0.01 if self.pools else 0.05
            ready = multiprocessing.connection.wait(list(started), timeout=interval) if started else []
            if not started:
                self._stopped.wait(interval)
            for sentinel in ready:
                index = started[sentinel]  # type: ignore[index]
                seen.add(index)
                if not self.flags[index] and not self._stopped.is_set():
                    self._report(self.children[index], main)
            worker = self._dead_pool_worker()
            if worker is not None and not self._stopped.is_set():
                self._report(worker, main)

    def _report(self, dead: BaseProcess, main: int | None) -> None:
        self.dead = dead
        self._stopped.set()
        # The handler may defer (see _on_death): send again until it has raised or the run is over,
        # every 10 ms at first, then every 100 ms.
        tries = 0
        while not self._raised and self._armed:
            signal.pthread_kill(main or 0, signal.SIGUSR1)
            tries += 1
            time.sleep(0.01 if tries < 100 else 0.1)
        if self._raised and self.on_stuck is not None and not self._disarmed.wait(CLEANUP_GRACE_S):
            self.on_stuck(dead, _stack_of(main))

    def disarm(self) -> None:
        """The main thread is failing already (or has finished): a late signal must not raise over
        its error, and its clean-up is over."""
        self._armed = False
        self._disarmed.set()

    def _on_death(self, signum: int, frame: FrameType | None) -> None:
        # Only raise here: the main thread may be inside this very process's join(), and joining again
        # from a signal handler is not safe. `explain` reads the exit code once the stack has unwound.
        if self.dead is None or not self._armed:
            return
        if _reaping(frame, self.dead.pid):
            # Interrupted between reaping a child and storing its exit status: raising here would lose
            # the status (the error would read "exit code None"). Let it finish: the signal comes again.
            return
        self._armed = False
        self._raised = True
        raise ChildDied(f"process {self.dead.name} (pid {self.dead.pid}) died", self.dead)

    def explain(self, exc: BaseException) -> str:
        """The one-line error for a failed run, naming a dead child and its signal where there is one."""
        dead = self.dead if isinstance(exc, ChildDied) else None
        if dead is not None:
            dead.join(5)
            return f"WorkerFailed: {describe_exit(dead.name, dead.pid, dead.exitcode)}"
        return f"{type(exc).__name__}: {exc}"
