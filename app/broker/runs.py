"""An edge's copy of the origin's runs: the read half of RunBook's API, over runs mirrored from Redis.

The web layer's routes (app/web/api.py, ws.py, pages.py) read `app.state.engine.book`; on an edge that is
an EdgeBook, so the same routes serve the same answers. A MirroredRun holds the origin's summary as it
was published (status, counts, viewers: the origin's) and the events this edge has read so far, in seq
order from 0, so that `events[a:b]` is seqs a..b-1 as on the origin.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from app import jsonio
from app.config import Limits
from app.engine.run import ACTIVE
from app.errors import UnknownRun
from app.events import json_array
from app.storage.store import EventStore


class MirroredRun:
    def __init__(self, run_id: str, summary: bytes) -> None:
        self.id = run_id
        self.events = EventStore()
        self.expired = False  # the broker no longer holds its events (docs/scale.md: how long it does)
        self.complete = False  # the stream's end entry was read: events holds them all
        self.summary: dict[str, Any] = {}
        self.encoded = b""
        self.update(summary)

    def update(self, summary: bytes) -> None:
        self.encoded = summary
        self.summary = jsonio.loads(summary)

    @property
    def scenario(self) -> str:
        return str(self.summary.get("scenario", ""))

    @property
    def status(self) -> str:
        return str(self.summary.get("status", ""))

    @property
    def created_at(self) -> float:
        return float(self.summary.get("created_at") or 0)

    @property
    def active(self) -> bool:
        return self.status in {s.value for s in ACTIVE}

    @property
    def event_count(self) -> int:
        return len(self.events)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.summary)

    def to_json(self) -> bytes:
        return self.encoded


class EdgeBook:
    """What the routes ask of a RunBook, answered from the mirror. Nothing here writes."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._runs: dict[str, MirroredRun] = {}
        self.forgotten_runs = 0

    @property
    def runs(self) -> Mapping[str, MirroredRun]:
        return self._runs

    def get(self, run_id: str) -> MirroredRun:
        try:
            return self._runs[run_id]
        except KeyError:
            raise UnknownRun(f"no run with id {run_id!r}") from None

    def list(self, scenario: str | None = None, status: str | None = None) -> builtins.list[MirroredRun]:
        runs = (
            r for r in self._runs.values() if scenario in (None, r.scenario) and status in (None, r.status)
        )
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def events_after(self, run_id: str, after: int = -1) -> builtins.list[bytes]:
        return self.get(run_id).events[max(after + 1, 0) :]

    def lobby_snapshot(self) -> bytes:
        return json_array([run.to_json() for run in self.list()])

    def active_count(self) -> int:
        return sum(1 for run in self._runs.values() if run.active)

    def is_live(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        return run is not None and run.active

    def set_viewers(self, run_id: str, viewers: int) -> None:
        """The lobby shows the origin's count; an edge's own viewers are in its /api/stats."""

    # -- the mirror's side --------------------------------------------------------------------
    def upsert(self, run_id: str, summary: bytes) -> MirroredRun:
        run = self._runs.get(run_id)
        if run is None:
            run = self._runs[run_id] = MirroredRun(run_id, summary)
        else:
            run.update(summary)
        return run

    def remove(self, run_id: str) -> None:
        if self._runs.pop(run_id, None) is not None:
            self.forgotten_runs += 1
