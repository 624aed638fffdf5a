"""Child side of the pipeline: scenario code calls `rep.emit(kind, **data)` to report what it does.

An emit costs a few microseconds: it timestamps the event and appends it to a multiprocessing Queue
whose feeder thread pickles and writes it in the background. It never blocks: when the run's queue
is full, or an event cannot be pickled, the event is counted in a counter shared by every process of
the run (`dropped`), which the server reports as `dropped_events`. Nothing is dropped silently.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from multiprocessing.context import BaseContext
from multiprocessing.queues import Queue
from multiprocessing.util import register_after_fork
from typing import Any

from app.events import WireEvent

QUEUE_MAXSIZE = 65_536


class EventQueue(Queue):  # type: ignore[type-arg]
    """A multiprocessing Queue that also carries the run's shared drop counter."""

    def __init__(self, ctx: BaseContext, maxsize: int = QUEUE_MAXSIZE) -> None:
        super().__init__(maxsize, ctx=ctx)
        self.dropped = ctx.Value("q", 0)

    def __getstate__(self) -> tuple[Any, ...]:
        return (*super().__getstate__(), self.dropped)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        super().__setstate__(state[:-1])
        self.dropped = state[-1]
        # The stdlib registers the after-fork reset only in __init__: a Queue received by pickling and
        # then inherited by fork would keep its parent's feeder-thread handle, and every put in the
        # forked child would sit in a buffer that no thread ever sends. Register it here too.
        register_after_fork(self, EventQueue._reset_after_fork)

    @staticmethod
    def _reset_after_fork(queue: EventQueue) -> None:
        queue._reset(after_fork=True)  # type: ignore[attr-defined]

    def count_dropped(self, n: int = 1) -> None:
        with self.dropped.get_lock():
            self.dropped.value += n

    # Called by the feeder thread when an event cannot be pickled; the stdlib would only print it.
    def _on_queue_feeder_error(self, e: BaseException, obj: object) -> None:  # type: ignore[override]
        self.count_dropped()


class Reporter:
    """Reports events of one run from any of its processes. Picklable: pass it to child processes."""

    def __init__(self, queue: EventQueue, t0_ns: int, enabled: bool = True) -> None:
        self.queue = queue
        self.t0_ns = t0_ns
        self.enabled = enabled

    def now(self) -> int:
        """Nanoseconds since the run started, on the clock every process of the run shares."""
        return time.monotonic_ns() - self.t0_ns

    def emit(self, kind: str, /, **data: Any) -> None:
        """Report one event about the calling process (or thread, see `emit_as`)."""
        if self.enabled:
            self._put((time.monotonic_ns() - self.t0_ns, os.getpid(), _proc_name(), kind, data))

    def emit_as(self, proc: str, kind: str, /, **data: Any) -> None:
        """Report an event on a lane of its own in this process, e.g. a thread's: proc="main/T1"."""
        if self.enabled:
            self._put((time.monotonic_ns() - self.t0_ns, os.getpid(), proc, kind, data))

    def emit_for(self, pid: int, proc: str, kind: str, /, **data: Any) -> None:
        """Report an event about another process, e.g. its exit as seen by its parent."""
        if self.enabled:
            self._put((time.monotonic_ns() - self.t0_ns, pid, proc, kind, data))

    def emit_final(self, kind: str, /, **data: Any) -> None:
        """Report an event that must not be lost (a run's result): waits up to 5 s for queue space."""
        event: WireEvent = (time.monotonic_ns() - self.t0_ns, os.getpid(), _proc_name(), kind, data)
        try:
            self.queue.put(event, timeout=5.0)
        except Exception:
            self.queue.count_dropped()

    def _put(self, event: WireEvent) -> None:
        try:
            self.queue.put_nowait(event)
        except Exception:  # queue.Full, or closed during shutdown: counted, never raised into a scenario
            self.queue.count_dropped()

    @property
    def dropped(self) -> int:
        return int(self.queue.dropped.value)


def _proc_name() -> str:
    return multiprocessing.current_process().name
