"""The fan-out hub: one frame per tick, encoded once; a slow client is dropped, the others go on."""

from __future__ import annotations

import asyncio
from typing import Any

from app import jsonio
from app.events import Event
from app.frames import Counters, decode
from app.web.hub import Hub


def encoded(run: str, seqs: range) -> list[bytes]:
    return [Event(run, s, s, 1, "p", "log", {}).to_json() for s in seqs]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_events_within_a_tick_become_one_frame() -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        hub = Hub(tick_seconds=0.01, limit_bytes=1 << 20)
        hub.open_topic("r")
        sub, sent = hub.subscribe("r")  # type: ignore[misc]
        assert sent == 0
        for i in range(5):
            hub.publish("r", encoded("r", range(i * 10, i * 10 + 10)))
        frames = await asyncio.wait_for(sub.take(), 1)
        return frames

    frames = run(scenario())
    assert len(frames) == 1
    assert [e["seq"] for e in jsonio.loads(frames[0].json)] == list(range(50))


def test_late_subscriber_learns_where_live_frames_start() -> None:
    async def scenario() -> tuple[int, list]:  # type: ignore[type-arg]
        hub = Hub(tick_seconds=0.001, limit_bytes=1 << 20)
        hub.open_topic("r")
        hub.publish("r", encoded("r", range(0, 7)))
        await asyncio.sleep(0.02)  # flushed: 7 events have gone out in frames
        hub.publish("r", encoded("r", range(7, 9)))  # pending, not yet framed
        sub, sent = hub.subscribe("r")  # type: ignore[misc]
        return sent, await asyncio.wait_for(sub.take(), 1)

    sent, frames = run(scenario())
    assert sent == 7  # the client takes seq 0..6 from history ...
    assert [e["seq"] for e in jsonio.loads(frames[0].json)] == [7, 8]  # ... and live frames start at 7


def test_slow_subscriber_is_dropped_and_others_keep_every_frame() -> None:
    async def scenario() -> tuple[bool, int, bool]:
        hub = Hub(tick_seconds=0.001, limit_bytes=20_000)
        hub.open_topic("r")
        slow, _ = hub.subscribe("r")  # type: ignore[misc]
        fast, _ = hub.subscribe("r")  # type: ignore[misc]
        got = 0
        for i in range(40):
            hub.publish("r", encoded("r", range(i * 20, i * 20 + 20)))
            await asyncio.sleep(0.003)
            for frame in await asyncio.wait_for(fast.take(), 1):
                got += len(jsonio.loads(frame.json))  # type: ignore[union-attr]
        topic = hub.topics["r"]
        return slow.dropped, got, slow in topic.subscribers

    slow_dropped, fast_got, slow_still_subscribed = run(scenario())
    assert slow_dropped and not slow_still_subscribed
    assert fast_got == 800


def test_closing_a_topic_flushes_then_ends_the_stream() -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        hub = Hub(tick_seconds=10, limit_bytes=1 << 20)
        hub.open_topic("r")
        sub, _ = hub.subscribe("r")  # type: ignore[misc]
        hub.publish("r", encoded("r", range(3)))
        hub.close_topic("r")
        hub.close()
        return await asyncio.wait_for(sub.take(), 1)

    frames = run(scenario())
    assert len(frames) == 2 and frames[1] is None
    assert len(jsonio.loads(frames[0].json)) == 3  # type: ignore[union-attr]


def test_lobby_sends_snapshot_then_only_latest_state_per_run() -> None:
    async def scenario() -> list:  # type: ignore[type-arg]
        hub = Hub(tick_seconds=0.005, limit_bytes=1 << 20)
        sub = hub.subscribe_lobby(lambda: b'[{"id":"a","status":"queued"}]')
        hub.publish_run("a", b'{"id":"a","status":"running"}')
        hub.publish_run("a", b'{"id":"a","status":"succeeded"}')
        await asyncio.sleep(0.03)
        frames = await asyncio.wait_for(sub.take(), 1)
        hub.close()
        return [jsonio.loads(f.json) for f in frames]  # type: ignore[union-attr]

    snapshot, update = run(scenario())
    assert snapshot == [{"id": "a", "status": "queued"}]
    assert update == [{"id": "a", "status": "succeeded"}]


def test_a_frame_is_one_object_for_every_viewer_and_compressed_once() -> None:
    """Viewers reading deflate and one reading JSON get the same Frame; the hub compresses it once."""

    async def scenario() -> tuple[list[Any], Hub]:
        hub = Hub(tick_seconds=0.005, limit_bytes=1 << 20)
        hub.open_topic("r")
        subs = [hub.subscribe("r")[0] for _ in range(3)] + [hub.subscribe("r", "json")[0]]  # type: ignore[index]
        before = Counters.compressions
        hub.publish("r", encoded("r", range(40)))
        taken = [await asyncio.wait_for(sub.take(), 1) for sub in subs]
        for frames in taken:  # the viewers' senders ask for the bytes: already made, not made again
            assert frames[0] is not None
            frames[0].payload("deflate")
        assert Counters.compressions - before == 1
        return taken, hub

    taken, hub = run(scenario())
    frames = [t[0] for t in taken]
    assert all(f is frames[0] for f in frames), "one Frame object offered to every subscriber"
    assert hub.frames_built == 1 and hub.frames_compressed == 1
    assert [e["seq"] for e in decode(frames[0].payload("deflate"))] == list(range(40))
    assert frames[0].payload("json") == frames[0].json.decode()


def test_a_topic_only_json_viewers_read_is_not_compressed() -> None:
    async def scenario() -> Hub:
        hub = Hub(tick_seconds=0.005, limit_bytes=1 << 20)
        hub.open_topic("r")
        sub = hub.subscribe("r", "json")[0]  # type: ignore[index]
        hub.publish("r", encoded("r", range(5)))
        frames = await asyncio.wait_for(sub.take(), 1)
        assert frames[0] is not None and not frames[0].compressed
        return hub

    hub = run(scenario())
    assert hub.frames_built == 1 and hub.frames_compressed == 0
