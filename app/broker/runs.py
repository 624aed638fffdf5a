"""An edge's copy of the origin's runs: the read half of RunBook's API, over runs mirrored from Redis.

The web layer's routes (app/web/api.py, ws.py, pages.py) read `app.state.engine.book`; on an edge that is
an EdgeBook, so the same routes serve the same answers. A MirroredRun holds the origin's summary as it
was published (status, counts, viewers: the origin's) and the events this edge has read so far, in seq
order from 0, so that `events[a:b]` is seqs a..b-1 as on the origin.
"""

from __future__ import annotations

from typing import Any

from app import jsonio
from app.config import Limits
from app.engine.index import RunIndex
from app.engine.run import ACTIVE
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


class EdgeBook(RunIndex[MirroredRun]):
    """What the routes ask of a RunBook, answered from the mirror. Nothing here writes."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits
        self.forgotten_runs = 0

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
