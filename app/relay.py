"""The relay: a thread per run that drains the run's multiprocessing Queue off the event loop.

It numbers events in arrival order (`seq`), encodes each one to JSON once, and hands batches to the
event loop with `call_soon_threadsafe`; only the event loop touches runs and WebSocket clients. It ends
when every process of the run has exited (the queue's pipe reports end-of-file) or when stopped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from app.events import Event
from app.reporter import EventQueue

Deliver = Callable[[list[Event], list[bytes]], None]


class Relay(threading.Thread):
    def __init__(
        self, run_id: str, events: EventQueue, first_seq: int, deliver: Deliver, batch_max: int = 4096
    ) -> None:
        super().__init__(name=f"relay-{run_id}", daemon=True)
        self.run_id = run_id
        self.events = events
        self.next_seq = first_seq
        self.deliver = deliver
        self.batch_max = batch_max
        self.error: str | None = None
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        q = self.events
        eof = False
        while not eof and not self._stopping.is_set():
            try:
                batch = [q.get(timeout=0.1)]
            except queue.Empty:
                continue
            except (EOFError, OSError):
                break
            except Exception as exc:  # a message torn by a killed writer: nothing after it can be trusted
                self.error = f"{type(exc).__name__}: {exc}"
                break
            try:
                while len(batch) < self.batch_max:
                    batch.append(q.get(block=False))
            except queue.Empty:
                pass
            except (EOFError, OSError):
                eof = True
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                eof = True
            self._hand_off(batch)

    def _hand_off(self, batch: list) -> None:  # type: ignore[type-arg]
        seq = self.next_seq
        events = [Event.from_wire(self.run_id, seq + i, wire) for i, wire in enumerate(batch)]
        self.next_seq = seq + len(events)
        self.deliver(events, [e.to_json() for e in events])
