"""A WebSocket client's bounded outbox: frames wait here until the client's sender takes them.

Shared by the run streams and lobby (app/web/hub.py) and by presentation followers
(app/presenter/sessions.py). One that falls further behind than its limit is dropped, so a slow
client never slows the others. Event-loop thread only.
"""

from __future__ import annotations

import asyncio
from collections import deque

from app.frames import Encoding, Frame


class Subscriber:
    """One WebSocket client's bounded outbox."""

    def __init__(self, limit_bytes: int, encoding: Encoding = "deflate") -> None:
        self.limit_bytes = limit_bytes
        self.encoding = encoding  # what its client reads (app/frames.py): compressed bytes or JSON text
        self.frames: deque[Frame | None] = deque()
        self.buffered = 0
        self.dropped = False
        self._wake = asyncio.Event()

    def offer(self, frame: Frame | None) -> None:
        """Queue a frame (None: the stream has ended). Over the limit, the subscriber is dropped."""
        if self.dropped:
            return
        size = 0 if frame is None else len(frame)
        if self.buffered + size > self.limit_bytes:
            self.dropped = True
            self.frames.clear()
            self.buffered = 0
        else:
            self.frames.append(frame)
            self.buffered += size
        self._wake.set()

    async def take(self) -> list[Frame | None]:
        """Wait for frames; returns them all. Empty list: the subscriber was dropped."""
        while not self.frames and not self.dropped:
            self._wake.clear()
            await self._wake.wait()
        if self.dropped:
            return []
        frames = list(self.frames)
        self.frames.clear()
        self.buffered = 0
        return frames
