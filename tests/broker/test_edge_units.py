"""An edge's rules, without processes: a stream entry it partly has adds only what it lacks, one past
what it has is a counted gap (never papered over), the end entry closes the run's topic; and a viewer
that comes from an edge that was ahead waits until this one has framed what it asked to start after."""

from __future__ import annotations

import asyncio

from app import jsonio
from app.broker import keys
from app.broker.mirror import Mirror
from app.broker.runs import EdgeBook
from app.broker.sessions import MirroredSessions
from app.config import Limits
from app.presenter.sessions import Presenters
from app.web.edge import framed
from app.web.hub import Hub


def events(first: int, n: int) -> list[bytes]:
    return [jsonio.dumps({"seq": s, "kind": "log"}) for s in range(first, first + n)]


def entry(first: int, n: int, end: bool = False) -> keys.Entry:
    return keys.Entry(keys.entry_id(first).encode(), first, events(first, n), end)


def test_entries_add_what_is_missing_count_gaps_and_end_the_topic() -> None:
    async def main() -> None:
        hub = Hub(0.001, 1 << 20)
        book = EdgeBook(Limits())
        mirror = Mirror("redis://127.0.0.1:1", book, hub, MirroredSessions(Presenters()))
        run = book.upsert("r1", jsonio.dumps({"id": "r1", "status": "running", "created_at": 1}))
        hub.open_topic("r1")
        mirror._take(run, entry(0, 3))
        mirror._take(run, entry(2, 3))  # seqs 2-4: 2 is had already
        assert [jsonio.loads(e)["seq"] for e in run.events] == [0, 1, 2, 3, 4]
        mirror._take(run, entry(9, 2))  # 5-8 are not in the broker: a gap, said and not filled
        assert mirror.gaps == 1 and run.event_count == 5
        mirror._take(run, entry(5, 0, end=True))
        assert run.complete and "r1" not in hub.topics

    asyncio.run(main())


def test_a_viewer_ahead_of_this_edge_waits_until_it_has_framed_that_far() -> None:
    async def main() -> None:
        hub = Hub(0.001, 1 << 20)
        hub.open_topic("r1")
        hub.publish("r1", events(0, 5))
        hub.flush()
        waiting = asyncio.create_task(framed(hub, "r1", 8))  # the viewer had seq 7 from another edge
        await asyncio.sleep(0.05)
        assert not waiting.done()
        hub.publish("r1", events(5, 3))
        hub.flush()
        await asyncio.wait_for(waiting, 10)  # a hang guard: it returns within a tick
        subscribed = hub.subscribe("r1")
        assert subscribed is not None and subscribed[1] == 8  # its frames start at seq 8: no repeats

    asyncio.run(main())
