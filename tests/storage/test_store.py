"""The compact event store: every slice reads back exactly what went in."""

from __future__ import annotations

import random

from app import jsonio
from app.events import Event
from app.storage.store import CHUNK, EventStore


def encoded(n: int) -> list[bytes]:
    return [Event("r", i, i * 10, 1, "p", "log", {"i": i, "pad": "x" * (i % 7)}).to_json() for i in range(n)]


def test_slices_across_sealed_chunks_and_the_tail_match_a_plain_list() -> None:
    items = encoded(3 * CHUNK + 123)
    store = EventStore()
    for start in range(0, len(items), 1000):  # arrives in batches, as from the relay
        store.extend(items[start : start + 1000])
    assert len(store) == len(items)
    rng = random.Random(7)
    cuts = [
        (0, len(items)),
        (0, 0),
        (CHUNK - 1, CHUNK + 1),
        (2 * CHUNK, 3 * CHUNK + 5),
        (len(items) - 3, None),
    ]
    cuts += [tuple(sorted(rng.sample(range(len(items) + 1), 2))) for _ in range(50)]  # type: ignore[misc]
    for start, stop in cuts:
        assert store[start:stop] == items[start:stop], (start, stop)
    assert list(store) == items
    assert [jsonio.loads(e)["data"]["i"] for e in store[CHUNK : CHUNK + 3]] == [CHUNK, CHUNK + 1, CHUNK + 2]


def test_sealed_events_take_far_less_room_than_their_json() -> None:
    items = encoded(10 * CHUNK)
    store = EventStore()
    store.extend(items)
    assert store.nbytes < sum(len(e) for e in items) / 3
