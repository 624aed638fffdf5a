"""The import feeder: a finished run's NDJSON back into the book as a new run, through its public API.

The file's events keep their t, pid, proc, kind and data; they get the new run's id. Its own run.start
and run.end fold into the new run's summary, as they did in the original.
"""

from __future__ import annotations

import asyncio

from app.engine.book import RunBook
from app.engine.run import Origin, Run, RunSpec
from app.events import Batch, Event, WireEvent
from app.export.formats import from_ndjson


def import_run(book: RunBook, body: bytes) -> Run:
    """Load checked NDJSON (ImportProblem names the first bad line) as a new, finished run."""
    return import_events(book, from_ndjson(body, book.limits.max_events_per_run))


async def import_run_async(book: RunBook, body: bytes) -> Run:
    """`import_run` for the server: parsing and encoding a big file happen off the event loop."""
    events = await asyncio.to_thread(from_ndjson, body, book.limits.max_events_per_run)
    run = book.open(_spec(events))
    batch = await asyncio.to_thread(Batch.encode, run.id, 0, _wires(events))
    book.feed(run.id, batch)
    return book.close(run.id)


def _spec(events: list[Event]) -> RunSpec:
    start = events[0].data
    seed = start.get("seed")
    return RunSpec(
        Origin.IMPORT,
        start["scenario"],
        str(start.get("title") or start["scenario"]),
        start["params"],
        start["start_method"],
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
    )


def _wires(events: list[Event]) -> list[WireEvent]:
    return [(e.t, e.pid, e.proc, e.kind, e.data) for e in events]


def import_events(book: RunBook, events: list[Event]) -> Run:
    """`import_run` for events already checked (`from_ndjson`)."""
    run = book.open(_spec(events))
    book.feed(run.id, Batch.encode(run.id, 0, _wires(events)))
    return book.close(run.id)
