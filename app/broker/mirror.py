"""An edge's reader of the broker: the lobby, the presentations and each run's events, from Redis.

One task follows the lobby and views streams (and the origin's heartbeat); one task per run reads its
stream, from the entry that holds the next seq it needs, appends what follows to the run's events and
hands it to the edge's hub, which frames it for viewers exactly as the origin's hub does. On any broker
error a task reconnects and starts again from what it already has: entries it has are skipped, so a
viewer never sees an event twice, and a seq it cannot find (the broker lost or expired it) is counted as
a gap and logged, never papered over. docs/scale.md describes the keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis.asyncio import Redis

from app import jsonio
from app.broker import keys
from app.broker.client import BLOCK_MS, BROKER_ERRORS, call, connect
from app.broker.runs import EdgeBook, MirroredRun
from app.broker.sessions import MirroredSessions
from app.engine.ports import Publisher

log = logging.getLogger("mpscope.edge")
RETRY_S = (0.1, 0.2, 0.5, 1.0, 2.0)
UNKNOWN_WAIT_S = 1.0  # a run this edge does not know yet may be one the origin has just opened
CATCH_UP_WAIT_S = 5.0  # a viewer waits at most this long for a run's first read; then gets what is here
READ_ENTRIES = 200  # stream entries per read


class Mirror:
    def __init__(self, url: str, book: EdgeBook, hub: Publisher, sessions: MirroredSessions) -> None:
        self.url = url
        self.book = book
        self.hub = hub
        self.sessions = sessions
        self.broker_up = False
        self.origin: dict[str, Any] | None = None  # the origin's heartbeat note; None: it is down
        self.gaps = 0  # seqs a run's stream did not have when this edge needed them
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._caught_up: dict[str, asyncio.Event] = {}
        self._main: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._main = asyncio.get_running_loop().create_task(self._follow_lobby(), name="edge-lobby")

    async def close(self) -> None:
        tasks = [t for t in (self._main, *self._readers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def ensure_loaded(self, run_id: str) -> MirroredRun | None:
        """The run, once this edge has read what the broker held of it when asked (or after
        CATCH_UP_WAIT_S, with what it has then); None if the run is unknown (after UNKNOWN_WAIT_S: a
        viewer may follow a link to a run faster than its lobby entry reaches this edge)."""
        run = self.book.runs.get(run_id)
        deadline = time.monotonic() + UNKNOWN_WAIT_S
        while run is None and self.broker_up and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # a run started a moment ago: its lobby entry is on its way
            run = self.book.runs.get(run_id)
        if run is None:
            return None
        self._read(run)
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            await asyncio.wait_for(self._caught_up[run_id].wait(), CATCH_UP_WAIT_S)
        return run

    # -- the lobby, the views and the heartbeat -------------------------------------------------
    async def _follow_lobby(self) -> None:
        attempt = 0
        while True:
            client = connect(self.url)
            try:
                ids = await self._load_lobby(client)
                self.broker_up, attempt = True, 0
                checked = 0.0
                while True:
                    reply = await call(
                        client,
                        "XREAD",
                        "COUNT",
                        1000,
                        "BLOCK",
                        keys.HEARTBEAT_MS,
                        "STREAMS",
                        *ids,
                        *ids.values(),
                    )
                    for stream, entries in reply or []:
                        for entry_id, flat in entries:
                            ids[stream] = entry_id
                            fields = dict(zip(flat[::2], flat[1::2], strict=True))
                            if stream == keys.LOBBY.encode():
                                self._lobby_change(fields[b"i"].decode(), fields[b"r"])
                            else:
                                self.sessions.apply(fields[b"c"].decode(), fields[b"v"].decode() or None)
                    if time.monotonic() - checked >= keys.HEARTBEAT_MS / 1000:
                        checked = time.monotonic()
                        note = await call(client, "GET", keys.ORIGIN)
                        self.origin = jsonio.loads(note) if note else None
            except BROKER_ERRORS as exc:
                if self.broker_up:
                    log.warning("broker %s: lost (%s); reconnecting", self.url, exc)
                self.broker_up = False
                await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(*BROKER_ERRORS):
                    await client.aclose()

    async def _load_lobby(self, client: Redis) -> dict[bytes, bytes]:
        """The runs and presentations as the hashes have them now; returns where the change streams
        stand, read first, so that no change between the two is missed (one applied twice is harmless:
        each is a whole state). Runs are not removed here: a broker that restarted empty would otherwise
        wipe every run from the edge; deletions arrive as lobby changes."""
        ids = {}
        for stream in (keys.LOBBY, keys.VIEWS):
            last = await call(client, "XREVRANGE", stream, "+", "-", "COUNT", 1)
            ids[stream.encode()] = last[0][0] if last else b"0-0"
        flat = await call(client, "HGETALL", keys.RUNS)
        for run_id, summary in zip(flat[::2], flat[1::2], strict=True):
            self._lobby_change(run_id.decode(), summary)
        flat = await call(client, "HGETALL", keys.SESSIONS)
        for code, frame in zip(flat[::2], flat[1::2], strict=True):
            self.sessions.apply(code.decode(), frame.decode())
        note = await call(client, "GET", keys.ORIGIN)
        self.origin = jsonio.loads(note) if note else None
        return ids

    def _lobby_change(self, run_id: str, summary: bytes) -> None:
        known = self.book.runs.get(run_id)
        if known is not None and known.encoded == summary:
            return
        if b'"deleted"' in summary and jsonio.loads(summary).get("deleted"):
            self.book.remove(run_id)
            task = self._readers.pop(run_id, None)
            if task is not None:
                task.cancel()
            self._caught_up.pop(run_id, None)
        else:
            run = self.book.upsert(run_id, summary)
            if run.active:
                self._read(run)  # live: followed at once, so a viewer finds it caught up
        self.hub.publish_run(run_id, summary)

    # -- a run's events -----------------------------------------------------------------------------
    def _read(self, run: MirroredRun) -> None:
        if run.id in self._readers:
            return
        self._caught_up[run.id] = asyncio.Event()
        if run.active:
            self.hub.open_topic(run.id)
        self._readers[run.id] = asyncio.get_running_loop().create_task(
            self._follow_run(run), name=f"edge-{run.id}"
        )

    async def _follow_run(self, run: MirroredRun) -> None:
        key = keys.run_key(run.id)
        caught_up = self._caught_up[run.id]
        attempt = 0
        while not run.complete:
            client = connect(self.url)
            try:
                last_id, target = await self._catch_up_start(client, run, key)
                if target is not None and run.event_count >= target:
                    caught_up.set()
                attempt = 0
                while not run.complete:
                    reply = await call(
                        client, "XREAD", "COUNT", READ_ENTRIES, "BLOCK", BLOCK_MS, "STREAMS", key, last_id
                    )
                    for _, entries in reply or []:
                        for raw in entries:
                            last_id = raw[0]
                            self._take(run, keys.Entry.parse(raw))
                    if target is None or run.event_count >= target or run.complete:
                        caught_up.set()
            except BROKER_ERRORS as exc:
                log.warning("broker %s: run %s: %s; reconnecting", self.url, run.id, exc)
                await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(*BROKER_ERRORS):
                    await client.aclose()
        caught_up.set()

    async def _catch_up_start(self, client: Redis, run: MirroredRun, key: str) -> tuple[bytes, int | None]:
        """Where to read from: the entry that holds the next seq this edge needs (applied here), and how
        many events the stream held when asked (None: none, or it has ended)."""
        have = run.event_count
        tail = await call(client, "XREVRANGE", key, "+", "-", "COUNT", 1)
        if not tail:
            if not run.active:  # finished, and its stream is gone: expired from the broker
                run.expired = True
                run.complete = True
                self.hub.close_topic(run.id)
            return b"0-0", None
        last = keys.Entry.parse(tail[0])
        holding = await call(client, "XREVRANGE", key, keys.entry_id(have), "-", "COUNT", 1)
        if not holding:
            return b"0-0", None if last.end else last.first + len(last.events)
        entry = keys.Entry.parse(holding[0])
        self._take(run, entry)
        return entry.id, None if last.end else last.first + len(last.events)

    def _take(self, run: MirroredRun, entry: keys.Entry) -> None:
        have = run.event_count
        if entry.first > have:
            self.gaps += 1
            log.warning(
                "run %s: the broker has no events %d-%d (expired or lost); this edge cannot fill them",
                run.id,
                have,
                entry.first - 1,
            )
            return
        fresh = entry.events[have - entry.first :]
        if fresh:
            run.events.extend(fresh)
            self.hub.publish(run.id, fresh)
        if entry.end and entry.first == run.event_count:
            run.complete = True
            self.hub.close_topic(run.id)
