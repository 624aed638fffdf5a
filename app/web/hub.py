"""Fan-out of events to WebSocket clients: tick-coalesced frames, encoded once, bounded per client.

Events of a run are appended to its topic as they arrive; once per tick every topic with new events
becomes one frame (a JSON array, built once, compressed at most once: app/frames.py) offered to each
subscriber, which sends every viewer the same bytes. A subscriber buffers at most
`limit_bytes`; one that falls further behind is dropped (and closed with 1013) so it never slows the
others. Everything here runs on the event loop thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.events import json_array
from app.frames import Encoding, Frame
from app.outbox import Subscriber


class Topic:
    """One run's live stream: events not yet framed, and the subscribers to offer frames to."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.sent = 0  # how many events have been offered to subscribers in frames so far
        self.subscribers: set[Subscriber] = set()
        self.closed = False


class Hub:
    def __init__(self, tick_seconds: float, limit_bytes: int) -> None:
        self.tick_seconds = tick_seconds
        self.limit_bytes = limit_bytes
        self.topics: dict[str, Topic] = {}
        self.lobby: set[Subscriber] = set()
        self._lobby_pending: dict[str, bytes] = {}
        self._dirty = False
        self._ticker: asyncio.TimerHandle | None = None
        self.frames_built = 0
        self.frames_compressed = 0  # of those frames: one compression each at most, whatever the viewers

    # -- runs ---------------------------------------------------------------------------------
    def open_topic(self, run_id: str) -> Topic:
        return self.topics.setdefault(run_id, Topic())

    def publish(self, run_id: str, encoded: list[bytes]) -> None:
        topic = self.topics.get(run_id)
        if topic is None or topic.closed:
            return
        topic.pending.extend(encoded)
        self._schedule()

    def close_topic(self, run_id: str) -> None:
        """Flush what is pending, then tell every subscriber the stream has ended."""
        topic = self.topics.pop(run_id, None)
        if topic is None:
            return
        self._flush_topic(topic)
        topic.closed = True
        for sub in topic.subscribers:
            sub.offer(None)

    def subscribe(self, run_id: str, encoding: Encoding = "deflate") -> tuple[Subscriber, int] | None:
        """Subscribe to a live run. Returns the subscriber and how many events it must take from the
        run's history first (frames it receives start right after them); None if the run is not live."""
        topic = self.topics.get(run_id)
        if topic is None:
            return None
        sub = Subscriber(self.limit_bytes, encoding)
        topic.subscribers.add(sub)
        return sub, topic.sent

    def unsubscribe(self, run_id: str, sub: Subscriber) -> None:
        topic = self.topics.get(run_id)
        if topic is not None:
            topic.subscribers.discard(sub)

    # -- lobby --------------------------------------------------------------------------------
    def subscribe_lobby(self, snapshot: Callable[[], bytes], encoding: Encoding = "deflate") -> Subscriber:
        sub = Subscriber(self.limit_bytes, encoding)
        sub.offer(Frame(snapshot()))
        self.lobby.add(sub)
        return sub

    def unsubscribe_lobby(self, sub: Subscriber) -> None:
        self.lobby.discard(sub)

    def publish_run(self, run_id: str, encoded_run: bytes) -> None:
        self._lobby_pending[run_id] = encoded_run  # only the latest state of a run in a tick
        self._schedule()

    def viewers(self, run_id: str) -> int:
        topic = self.topics.get(run_id)
        return 0 if topic is None else len(topic.subscribers)

    @property
    def client_count(self) -> int:
        return len(self.lobby) + sum(len(t.subscribers) for t in self.topics.values())

    # -- ticking ------------------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._dirty:
            self._dirty = True
            loop = asyncio.get_running_loop()
            self._ticker = loop.call_later(self.tick_seconds, self.flush)

    def flush(self) -> None:
        self._dirty = False
        for topic in self.topics.values():
            self._flush_topic(topic)
        if self._lobby_pending:
            frame = Frame(json_array(list(self._lobby_pending.values())))
            self._lobby_pending.clear()
            self._offer_all(self.lobby, frame)

    def _flush_topic(self, topic: Topic) -> None:
        if not topic.pending:
            return
        frame = Frame(json_array(topic.pending))
        topic.sent += len(topic.pending)
        topic.pending = []
        self.frames_built += 1
        if any(sub.encoding == "deflate" for sub in topic.subscribers):
            frame.deflated  # noqa: B018 - compressed here, once, before any viewer's sender asks for it
            self.frames_compressed += 1
        self._offer_all(topic.subscribers, frame)

    def _offer_all(self, subs: set[Subscriber], frame: Frame) -> None:
        for sub in list(subs):
            sub.offer(frame)
            if sub.dropped:
                subs.discard(sub)

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for run_id in list(self.topics):
            self.close_topic(run_id)
        for sub in self.lobby:
            sub.offer(None)
        self.lobby.clear()
