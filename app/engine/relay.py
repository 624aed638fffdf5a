"""The relay: a thread per run that drains the run's multiprocessing Queue off the event loop.

It numbers events in arrival order (`seq`), encodes each one to JSON once, and hands batches to the
event loop with `call_soon_threadsafe`; only the event loop touches runs and WebSocket clients. It ends
when every process of the run has exited (the queue's pipe reports end-of-file) or when stopped.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from app.events import Batch, WireEvent
from app.lesson.reporter import EventQueue


class Relay(threading.Thread):
    def __init__(
        self, run_id: str, events: EventQueue, first_seq: int, deliver: Callable[[Batch], None]
    ) -> None:
        super().__init__(name=f"relay-{run_id}", daemon=True)
        self.run_id = run_id
        self.events = events
        self.next_seq = first_seq
        self.deliver = deliver
        self.error: str | None = None
        self._stopping = threading.Event()
        self._injected: deque[WireEvent] = deque()  # the server's own events during the run
        self._reported: set[int] = set()  # pids that reported process.start: their signal handlers are set
        self._reported_lock = threading.Lock()

    def started_pids(self) -> set[int]:
        """Every pid of the run that has reported its process.start (so it dumps its stacks on
        STACKS_SIGNAL instead of dying of it): known from the stream, on every OS."""
        with self._reported_lock:
            return set(self._reported)

    def stop(self) -> None:
        self._stopping.set()

    def inject(self, wire: WireEvent) -> None:
        """Number an event of the server's own (e.g. run.paused) in the run's stream: while the run
        lives, only this thread hands out seqs. Goes out with the next batch (within 0.1 s)."""
        self._injected.append(wire)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = self.events.read_batch(timeout=0.1)
            except EOFError as exc:
                if "torn" in str(exc):  # a writer was killed mid-event: report it, nothing is lost silently
                    self.error = str(exc)
                return
            except Exception as exc:  # an event that does not unpickle: nothing after it can be trusted
                self.error = f"{type(exc).__name__}: {exc}"
                return
            while self._injected:
                batch.append(self._injected.popleft())
            started = [w[1] for w in batch if w[3] == "process.start"]
            if started:
                with self._reported_lock:
                    self._reported.update(started)
            if batch:
                encoded = Batch.encode(self.run_id, self.next_seq, batch)
                self.next_seq += len(batch)
                self.deliver(encoded)
