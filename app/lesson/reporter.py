"""Child side of the pipeline: scenario code calls `rep.emit(kind, **data)` to report what it does.

An emit costs a few microseconds: it timestamps the event and appends it to a multiprocessing Queue
whose feeder thread pickles and writes it in the background. It never blocks a scenario for long:
when the run's queue is full it waits at most BACKPRESSURE_SECONDS for room, and a process whose wait
failed drops at once until the queue has room again. Every event not sent (no room, or not
picklable) is counted in a counter shared by every process of the run (`dropped`), which the server
reports as `dropped_events`. Nothing is dropped silently.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from multiprocessing.connection import wait
from multiprocessing.context import BaseContext
from multiprocessing.queues import Queue
from multiprocessing.reduction import ForkingPickler as _ForkingPickler
from multiprocessing.util import register_after_fork
from typing import Any, cast

from app import jsonio
from app.events import WireEvent

QUEUE_MAXSIZE = 65_536
BACKPRESSURE_SECONDS = 0.5
LAST_WORDS_BYTES = 16_384  # longest an emit waits for room in a full queue


class EventQueue(Queue):  # type: ignore[type-arg]
    """A multiprocessing Queue that also carries the run's shared drop counter and pause flag."""

    def __init__(self, ctx: BaseContext, maxsize: int = QUEUE_MAXSIZE) -> None:
        super().__init__(maxsize, ctx=ctx)
        self.dropped = ctx.Value("q", 0)
        # Set by the server to pause the run: every process waits at its next reported step. A RawValue:
        # one byte read without a lock on every emit.
        self.paused = ctx.RawValue("b", 0)
        # The run's main process writes its final events here too (see write_last_words): shared memory
        # needs no lock, so they get through even when a killed process died holding the queue's write lock.
        self.last_words = ctx.RawArray("c", LAST_WORDS_BYTES)

    # The stub types Queue's pickled state as an opaque NewType; at runtime it is a tuple, extended here.
    def __getstate__(self) -> tuple[Any, ...]:  # type: ignore[override]
        base = cast("tuple[Any, ...]", super().__getstate__())
        return (*base, self.dropped, self.paused, self.last_words)

    def __setstate__(self, state: tuple[Any, ...]) -> None:  # type: ignore[override]
        super().__setstate__(state[:-3])  # type: ignore[arg-type]
        self.dropped, self.paused, self.last_words = state[-3:]
        # The stdlib registers the after-fork reset only in __init__: a Queue received by pickling and
        # then inherited by fork would keep its parent's feeder-thread handle, and every put in the
        # forked child would sit in a buffer that no thread ever sends. Register it here too.
        register_after_fork(self, EventQueue._reset_after_fork)

    def write_last_words(self, events: list[WireEvent]) -> None:
        """Keep the main process's final events (a dead child's exit, the run's error) in shared memory
        too: they get through even when a killed process died holding the queue's write lock, which
        blocks every other writer's feeder for good. The server feeds them when the queue did not."""
        raw = jsonio.dumps(events)
        if len(raw) >= LAST_WORDS_BYTES:  # keep each error's start, each traceback's end
            keep = LAST_WORDS_BYTES // 4
            cut = [(*w[:4], _shortened(w[4], keep)) for w in events]
            raw = jsonio.dumps(cut)
        if len(raw) < LAST_WORDS_BYTES:  # whole, or nothing: the server would not read a cut JSON
            self.last_words.value = raw

    def read_last_words(self) -> list[WireEvent]:
        raw = bytes(self.last_words.value)
        try:
            events = jsonio.loads(raw) if raw else []
        except jsonio.JSONDecodeError:
            return []
        return [(int(t), int(pid), str(proc), str(kind), dict(data)) for t, pid, proc, kind, data in events]

    def close_writer(self) -> None:
        """Server side, once the run's main process has started: only the run's processes hold the
        write end now, so the reader sees end-of-file when they are all gone."""
        self._writer.close()  # type: ignore[attr-defined]

    @staticmethod
    def _reset_after_fork(queue: EventQueue) -> None:
        queue._reset(after_fork=True)  # type: ignore[attr-defined]

    def read_batch(self, timeout: float, max_bytes: int = 1 << 20) -> list[WireEvent]:
        """Server side, single reader: every whole event the pipe holds, waiting up to `timeout` for
        the first. One read() takes many events; `get()` costs a lock, a poll and two reads per event.
        Raises EOFError once every writer has gone and all whole events were returned.

        This reads the stdlib Connection's framing (a 4-byte big-endian signed length, or -1 and an
        8-byte length, then the pickle); tests/test_reporter.py checks it against Queue.put.
        """
        buf: bytearray = self.__dict__.setdefault("_rx", bytearray())
        fd = self._reader.fileno()  # type: ignore[attr-defined]
        if not wait([self._reader], timeout):  # type: ignore[attr-defined]
            return []
        chunk = os.read(fd, max_bytes)
        if not chunk:
            if buf:
                raise EOFError(f"stream ended inside an event ({len(buf)} bytes torn)")
            raise EOFError("every writer has gone")
        buf += chunk
        events: list[WireEvent] = []
        pos, end = 0, len(buf)
        with memoryview(buf) as view:
            while end - pos >= 4:
                size = int.from_bytes(view[pos : pos + 4], "big", signed=True)
                head = 4
                if size == -1:
                    if end - pos < 12:
                        break
                    size, head = int.from_bytes(view[pos + 4 : pos + 12], "big"), 12
                if end - pos - head < size:
                    break
                events.append(_ForkingPickler.loads(view[pos + head : pos + head + size]))
                pos += head + size
        del buf[:pos]
        release = self._sem.release  # type: ignore[attr-defined]
        for _ in events:
            release()
        return events

    def count_dropped(self, n: int = 1) -> None:
        with self.dropped.get_lock():
            self.dropped.value += n

    # Called by the feeder thread when an event cannot be pickled; the stdlib would only print it.
    def _on_queue_feeder_error(self, e: BaseException, obj: object) -> None:
        self.count_dropped()


def _shortened(data: dict[str, Any], keep: int) -> dict[str, Any]:
    """An event's data with its error's start and its traceback's end, each at most `keep` characters."""
    short = dict(data)
    if "error" in short:
        short["error"] = str(short["error"])[:keep]
    if "traceback" in short:
        short["traceback"] = str(short["traceback"])[-keep:]
    return short


class Reporter:
    """Reports events of one run from any of its processes. Picklable: pass it to child processes."""

    def __init__(self, queue: EventQueue, t0_ns: int, enabled: bool = True) -> None:
        self.queue = queue
        self.t0_ns = t0_ns
        self.enabled = enabled
        self._congested = False
        self.emits = 0  # emit() calls by this process, and the nanoseconds they took
        self.emit_ns = 0
        self.first_emit_ns = 0

    def now(self) -> int:
        """Nanoseconds since the run started, on the clock every process of the run shares."""
        return time.monotonic_ns() - self.t0_ns

    def emit(self, kind: str, /, **data: Any) -> None:
        """Report one event about the calling process (or thread, see `emit_as`). The hot path: the
        put is inlined and the pid cached, since the stdlib's layers cost as much as the put itself."""
        if self.enabled:
            now = _monotonic_ns()
            event = (now - self.t0_ns, _PID[0], _current_process().name, kind, data)
            try:
                self.queue.put(event, False)
                self._congested = False
            except queue.Full:
                self._when_full(event)
            except Exception:  # closed during shutdown: counted, never raised into a scenario
                self.queue.count_dropped()
            took = _monotonic_ns() - now
            if self.emits:
                self.emit_ns += took
            else:  # a process's first put also starts the queue's feeder thread: a one-off cost
                self.first_emit_ns = took
            self.emits += 1
            if self.queue.paused.value:
                self._wait_while_paused()

    def _wait_while_paused(self) -> None:
        """The run is paused (a lecture's "pause all workers"): this process stops here, right after
        reporting what it just did, until the server resumes the run. Not counted as emit time."""
        while self.queue.paused.value:
            time.sleep(0.02)

    def reset_stats(self) -> None:
        """Start counting this process's own emits (a forked child inherits its parent's counts)."""
        self.emits = 0
        self.emit_ns = 0
        self.first_emit_ns = 0

    def emit_stats(self) -> None:
        """Report what reporting cost this process: the dashboard shows mpscope's own overhead."""
        if self.enabled:
            self.emit(
                "reporter.stats",
                emits=self.emits,
                emit_ns=self.emit_ns,  # every emit but the first
                first_emit_ns=self.first_emit_ns,  # the first, which also started the feeder thread
                dropped=self.dropped,
            )

    def emit_as(self, proc: str, kind: str, /, **data: Any) -> None:
        """Report an event on a lane of its own in this process, e.g. a thread's: proc="main/T1"."""
        if self.enabled:
            self._put((time.monotonic_ns() - self.t0_ns, _PID[0], proc, kind, data))

    def emit_for(self, pid: int, proc: str, kind: str, /, **data: Any) -> None:
        """Report an event about another process, e.g. its exit as seen by its parent."""
        if self.enabled:
            self._put((time.monotonic_ns() - self.t0_ns, pid, proc, kind, data))

    def emit_final(self, kind: str, /, **data: Any) -> None:
        """Report an event that must not be lost (a run's result): waits up to 5 s for queue space."""
        self.put_final(self.wire_for(_PID[0], _current_process().name, kind, **data))

    def wire_for(self, pid: int, proc: str, kind: str, /, **data: Any) -> WireEvent:
        """An event stamped now, not yet sent (see `put_final` and `EventQueue.write_last_words`)."""
        return (time.monotonic_ns() - self.t0_ns, pid, proc, kind, data)

    def put_final(self, event: WireEvent) -> None:
        """Send an event that must not be lost: waits up to 5 s for queue space."""
        try:
            self.queue.put(event, timeout=5.0)
        except Exception:
            self.queue.count_dropped()

    def _put(self, event: WireEvent) -> None:
        try:
            self.queue.put(event, False)
            self._congested = False
        except queue.Full:
            self._when_full(event)
        except Exception:  # closed during shutdown: counted, never raised into a scenario
            self.queue.count_dropped()

    def _when_full(self, event: WireEvent) -> None:
        # The queue is full: the server is behind. Wait a bounded time for room (slowing the scenario
        # a little is better than showing a timeline with holes), unless this process already waited
        # in vain: then drop at once until the queue takes an event again.
        if not self._congested:
            try:
                self.queue.put(event, timeout=BACKPRESSURE_SECONDS)
                return
            except Exception:
                self._congested = True
        self.queue.count_dropped()

    @property
    def dropped(self) -> int:
        return int(self.queue.dropped.value)


_monotonic_ns = time.monotonic_ns
_current_process = multiprocessing.current_process

# This process's pid, kept current across fork: os.getpid() is a system call on every emit otherwise.
_PID = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))
