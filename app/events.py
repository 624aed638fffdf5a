"""The event record: the one shape every process, the server, the browser and every export share.

See docs/events.md for the fields and the kind vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app import jsonio

# The shared vocabulary. Kinds are never renamed; scenarios may add kinds of their own.
KINDS: frozenset[str] = frozenset(
    {
        "run.start",
        "run.result",
        "run.error",
        "run.end",
        "run.paused",
        "run.resumed",
        "process.start",
        "process.exit",
        "process.error",
        "lock.wait",
        "lock.acquired",
        "lock.released",
        "lock.timeout",
        "deadlock.detected",
        "phase.start",
        "phase.end",
        "work.unit",
        "semaphore.wait",
        "semaphore.acquired",
        "semaphore.released",
        "event.wait",
        "event.set",
        "barrier.wait",
        "barrier.passed",
        "value.read",
        "value.write",
        "array.read",
        "array.write",
        "queue.put",
        "queue.get",
        "queue.wait_put",
        "queue.wait_get",
        "pipe.send",
        "pipe.recv",
        "manager.call",
        "pool.task.start",
        "pool.task.end",
        "thread.start",
        "thread.exit",
        "log",
        "process.create",
        "process.join",
        "pool.result",
        "reporter.stats",
        # added for `mpscope trace` (app/trace/boot/_mpscope_trace/)
        "process.join_wait",
        "event.clear",
        "event.passed",
        "condition.wait",
        "condition.woken",
        "condition.notify",
        "queue.task_done",
        "queue.join_wait",
        "queue.joined",
        "pipe.wait",
        "pool.call",
    }
)

SERVER_PROC = "mpscope"

# Kinds that change a run's summary (status, result, error): the only ones the server folds.
SUMMARY_KINDS: frozenset[str] = frozenset(
    {"run.start", "run.result", "run.error", "run.end", "process.error", "run.paused", "run.resumed"}
)

# What crosses the process boundary: (t, pid, proc, kind, data). The run id and seq are added by the
# server, which knows which run's queue it read the message from and in what order it arrived.
WireEvent = tuple[int, int, str, str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Event:
    run: str
    seq: int
    t: int
    pid: int
    proc: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, run: str, seq: int, wire: WireEvent) -> Event:
        t, pid, proc, kind, data = wire
        return cls(run, seq, t, pid, proc, kind, data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "seq": self.seq,
            "t": self.t,
            "pid": self.pid,
            "proc": self.proc,
            "kind": self.kind,
            "data": self.data,
        }

    def to_json(self) -> bytes:
        """The one JSON form. Values orjson cannot encode natively are shown with repr()."""
        return jsonio.dumps(self.to_dict(), default=repr)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Event:
        d = jsonio.loads(raw)
        return cls(d["run"], d["seq"], d["t"], d["pid"], d["proc"], d["kind"], d.get("data") or {})


def encode_wire(run: str, seq: int, wire: WireEvent) -> bytes:
    """The JSON form of an event straight from what crossed the process boundary: the relay's hot
    path, equal to `Event.from_wire(run, seq, wire).to_json()` without building the Event."""
    t, pid, proc, kind, data = wire
    return jsonio.dumps(
        {"run": run, "seq": seq, "t": t, "pid": pid, "proc": proc, "kind": kind, "data": data}, default=repr
    )


def encode_wires(
    run: str, first: int, wires: list[WireEvent], dumps: Callable[..., bytes] | None = None
) -> list[bytes]:
    """`encode_wire` for a batch numbered from `first`, 4-5x faster: one orjson call for the whole batch,
    split where each event's object begins. Those boundaries are found by their bytes,
    `,{"run":"<run>","seq":`, which cannot occur inside a JSON string (its quotes are escaped); should
    an event's data hold such an object itself, the count comes out wrong and each event is encoded
    on its own instead. Same bytes as `encode_wire` either way. `dumps`: jsonio.dumps unless given
    (jsonio.dumps_std writes the same bytes, without importing orjson)."""
    if not wires:
        return []
    dumps = dumps or jsonio.dumps
    head = b'{"run":' + dumps(run) + b',"seq":'
    raw = dumps(
        [
            {"run": run, "seq": first + i, "t": t, "pid": pid, "proc": proc, "kind": kind, "data": data}
            for i, (t, pid, proc, kind, data) in enumerate(wires)
        ],
        default=repr,
    )
    parts = raw[1:-1].replace(b"," + head, b"\n" + head).split(b"\n")
    if len(parts) == len(wires):
        return parts
    return [encode_wire(run, first + i, w) for i, w in enumerate(wires)]


def json_array(encoded: list[bytes]) -> bytes:
    """Join already-encoded events into one JSON array without decoding them again."""
    return b"[" + b",".join(encoded) + b"]"


@dataclass(frozen=True, slots=True)
class Batch:
    """Events numbered from `first`, ready for a run: each one's JSON (`encoded`, in seq order) and the
    few of them that change the run's summary (`notable`). Built once, by whichever thread read them."""

    first: int
    encoded: list[bytes]
    notable: list[Event]

    @classmethod
    def encode(cls, run: str, first: int, wires: list[WireEvent]) -> Batch:
        notable = [Event.from_wire(run, first + i, w) for i, w in enumerate(wires) if w[3] in SUMMARY_KINDS]
        return cls(first, encode_wires(run, first, wires), notable)

    def __len__(self) -> int:
        return len(self.encoded)

    def head(self, n: int) -> Batch:
        """The first `n` events only (a run at its event limit keeps no more)."""
        return Batch(self.first, self.encoded[:n], [e for e in self.notable if e.seq < self.first + n])
