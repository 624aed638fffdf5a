"""The read half of a book of runs, shared by the engine's RunBook and an edge's mirror (EdgeBook).

The routes ask a book for runs by id, the list newest first, events after a seq and the lobby's
snapshot; both books answer from a dict of runs, whatever a run is made of (a live Run, or a summary
mirrored from the broker), so that logic is written once here.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Generic, Protocol, TypeVar

from app.errors import UnknownRun
from app.events import json_array


class EventSlices(Protocol):
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...


class Listed(Protocol):
    """What the read side needs of a run."""

    @property
    def scenario(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> float: ...
    @property
    def active(self) -> bool: ...
    @property
    def events(self) -> EventSlices: ...
    def to_json(self) -> bytes: ...


R = TypeVar("R", bound=Listed)


class RunIndex(Generic[R]):
    def __init__(self) -> None:
        self._runs: dict[str, R] = {}

    @property
    def runs(self) -> Mapping[str, R]:
        return self._runs

    def get(self, run_id: str) -> R:
        try:
            return self._runs[run_id]
        except KeyError:
            raise UnknownRun(f"no run with id {run_id!r}") from None

    def list(self, scenario: str | None = None, status: str | None = None) -> builtins.list[R]:
        """Runs newest first, optionally only one scenario's or one status's."""
        runs = (
            r for r in self._runs.values() if scenario in (None, r.scenario) and status in (None, r.status)
        )
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    # `builtins.list`: in this class, `list` is the method above.
    def events_after(self, run_id: str, after: int = -1) -> builtins.list[bytes]:
        return builtins.list(self.get(run_id).events[max(after + 1, 0) :])

    def lobby_snapshot(self) -> bytes:
        return json_array([run.to_json() for run in self.list()])

    def active_count(self) -> int:
        return sum(1 for run in self._runs.values() if run.active)
