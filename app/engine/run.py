"""One run: what opened it (its spec and origin), its status machine, and the summary (status, result,
error, counts) folded from its events."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app import jsonio
from app.engine.spec import Origin, RunSpec  # re-exported: where the engine's code looks for them
from app.events import Event
from app.storage.history import StoredEvents
from app.storage.store import EventStore

__all__ = ["Origin", "RunSpec", "Run", "RunStatus", "ACTIVE", "ALLOWED", "IllegalTransition"]


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # in flight when the server stopped (set when its history is reopened)


ALLOWED: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.SUCCEEDED: frozenset(),
    RunStatus.FAILED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
    RunStatus.INTERRUPTED: frozenset(),
}
ACTIVE = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


class IllegalTransition(RuntimeError):
    pass


@dataclass(eq=False)
class Run:
    id: str
    scenario: str
    params: dict[str, Any]
    start_method: str
    origin: Origin = Origin.SCENARIO
    created_at: float = field(default_factory=time.time)
    status: RunStatus = RunStatus.QUEUED
    result: Any = None
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    dropped_events: int = 0
    viewers: int = 0  # WebSocket clients following the run live (a counter, not folded from events)
    paused: bool = False  # "pause all workers": folded from run.paused / run.resumed
    seed: int | None = None  # seeds `random` in every process of the run: "run again" reproduces it
    # each event's JSON, in seq order: in memory while the run is live, from the history once stored
    events: EventStore | StoredEvents = field(default_factory=EventStore)
    worker_errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def event_count(self) -> int:
        return len(self.events)

    def transition(self, new: RunStatus) -> None:
        if new not in ALLOWED[self.status]:
            raise IllegalTransition(f"run {self.id}: {self.status} -> {new} is not allowed")
        self.status = new

    def apply(self, event: Event) -> bool:
        """Fold one event into the summary. Returns True when the status changed."""
        kind, data = event.kind, event.data
        if kind == "run.start":
            self.transition(RunStatus.RUNNING)
            self.started_at = data.get("wall_time", time.time())
            return True
        if kind == "run.result":
            self.result = data.get("result")
        elif kind == "run.error":
            self.error = f"{data.get('error')}\n\n{data.get('traceback', '')}".rstrip()
        elif kind in ("run.paused", "run.resumed"):
            self.paused = kind == "run.paused"
            return True
        elif kind == "process.error":
            self.worker_errors.append(
                f"--- in {event.proc} (pid {event.pid}) ---\n{data.get('traceback', '')}"
            )
        elif kind == "run.end":
            self.transition(RunStatus(data["status"]))
            self.result = data.get("result")
            self.error = data.get("error")
            self.dropped_events = int(data.get("dropped_events", 0))
            self.ended_at = data.get("wall_time", time.time())
            return True
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scenario": self.scenario,
            "params": self.params,
            "start_method": self.start_method,
            "origin": self.origin.value,
            "status": self.status.value,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "event_count": self.event_count,
            "dropped_events": self.dropped_events,
            "viewers": self.viewers,
            "paused": self.paused,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, summary: dict[str, Any], events: EventStore | StoredEvents) -> Run:
        """A finished run back from its stored summary (`to_dict`), with its events."""
        return cls(
            id=summary["id"],
            scenario=summary["scenario"],
            params=summary["params"],
            start_method=summary["start_method"],
            origin=Origin(summary["origin"]) if "origin" in summary else _old_origin(summary),
            created_at=summary["created_at"],
            status=RunStatus(summary["status"]),
            result=summary.get("result"),
            error=summary.get("error"),
            started_at=summary.get("started_at"),
            ended_at=summary.get("ended_at"),
            dropped_events=summary.get("dropped_events", 0),
            seed=summary.get("seed"),
            events=events,
        )

    def to_json(self) -> bytes:
        return jsonio.dumps(self.to_dict(), default=repr)


def _old_origin(summary: dict[str, Any]) -> Origin:
    """Histories written before runs recorded their origin knew a trace only by its scenario id."""
    return Origin.TRACE if summary["scenario"] == "trace" else Origin.SCENARIO
