"""The origin's side of the broker: everything the hub publishes also goes to Redis.

`BrokerPublisher` is the book's Publisher: it hands each call to the hub (the origin's own viewers, as
before) and notes what changed; one task writes it to Redis a tick later, pipelined. A run's events are
read back from the book (the source of truth) from a cursor, so nothing is copied while Redis is slow
and nothing is lost while it is away: on every (re)connect the cursors are taken from what the streams
hold, the lobby hash is rewritten, and the writing goes on from there (a Redis that restarted empty gets
the live runs' events again from seq 0). A heartbeat key tells edges that the origin is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable

from redis.asyncio import Redis

from app import __version__, jsonio
from app.broker import keys
from app.broker.client import BROKER_ERRORS, call, connect
from app.engine.book import RunBook
from app.engine.ports import Publisher

log = logging.getLogger("mpscope.broker")
RETRY_S = (0.1, 0.2, 0.5, 1.0, 2.0)  # waits between reconnects, the last one repeated


class BrokerPublisher:
    def __init__(self, inner: Publisher, url: str, keep_seconds: int, max_entries: int) -> None:
        self.inner = inner
        self.url = url
        self.keep_seconds = keep_seconds  # a run's stream expires this long after its last write
        self.max_entries = max_entries  # MAXLEN of a run's stream (entries; each holds >= 1 event)
        self.book: RunBook | None = None  # set once the engine exists (it needs this publisher first)
        self.sessions: Callable[[], Iterable[tuple[str, str]]] = lambda: ()  # (code, frame) of each
        self.origin_url = ""
        self.connected = False
        self.writes = 0  # pipelines written
        self._cursors: dict[str, int] = {}  # run id -> events already in its stream
        self._ended: set[str] = set()  # runs whose topic closed: their stream gets its end entry
        self._lobby: dict[str, bytes] = {}
        self._views: dict[str, str | None] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    # -- Publisher ----------------------------------------------------------------------------
    def open_topic(self, run_id: str) -> object:
        self._cursors.setdefault(run_id, 0)
        return self.inner.open_topic(run_id)

    def publish(self, run_id: str, encoded: list[bytes]) -> None:
        self.inner.publish(run_id, encoded)
        self._wake.set()

    def close_topic(self, run_id: str) -> None:
        self.inner.close_topic(run_id)
        self._ended.add(run_id)
        self._wake.set()

    def publish_run(self, run_id: str, encoded_run: bytes) -> None:
        self.inner.publish_run(run_id, encoded_run)
        self._lobby[run_id] = encoded_run
        self._wake.set()

    def publish_view(self, code: str, frame: str | None) -> None:
        """A presentation's audience frame changed (None: it ended)."""
        self._views[code] = frame
        self._wake.set()

    # -- the writer ---------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="broker-publisher")

    async def close(self, flush_seconds: float = 3.0) -> None:
        """Write what is left (the runs' ends), take the heartbeat down, stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), flush_seconds)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _run(self) -> None:
        attempt = 0
        while True:
            client = connect(self.url)
            try:
                await self._resync(client)
                self.connected, attempt = True, 0
                log.info("broker %s: publishing", self.url)
                while True:
                    await self._write(client)
                    if self._closing:
                        await call(client, "DEL", keys.ORIGIN)
                        return
                    with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), keys.HEARTBEAT_MS / 1000)
                    self._wake.clear()
                    await asyncio.sleep(0.01)  # a tick: what arrives meanwhile goes in one pipeline
            except BROKER_ERRORS as exc:
                if self.connected:
                    log.warning("broker %s: lost (%s); reconnecting", self.url, exc)
                self.connected = False
                if self._closing:
                    return
                await asyncio.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
            finally:
                with contextlib.suppress(*BROKER_ERRORS):
                    await client.aclose()

    async def _resync(self, client: Redis) -> None:
        """After a (re)connect: the lobby hash rewritten whole, the presentations' frames, and each
        run still being published continued from what its stream holds (from 0 if it is gone)."""
        book = self.book
        assert book is not None, "BrokerPublisher.book must be set before start()"
        summaries = {run.id: run.to_json() for run in book.list()}
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("DEL", keys.RUNS)
        if summaries:
            pipe.execute_command("HSET", keys.RUNS, *[x for kv in summaries.items() for x in kv])
        for run_id, summary in summaries.items():  # edges apply changes: e.g. a restarted origin's
            pipe.execute_command(  # runs that were in flight are now "interrupted"
                "XADD", keys.LOBBY, "MAXLEN", "~", keys.LOBBY_MAXLEN, "*", "i", run_id, "r", summary
            )
        pipe.execute_command("DEL", keys.SESSIONS)
        sessions = list(self.sessions())
        if sessions:
            pipe.execute_command("HSET", keys.SESSIONS, *[x for kv in sessions for x in kv])
        await pipe.execute()
        self._lobby = {k: v for k, v in self._lobby.items() if k not in summaries}  # deletions stay
        for run_id in list(self._cursors):
            last = await call(client, "XREVRANGE", keys.run_key(run_id), "+", "-", "COUNT", 1)
            if not last:
                self._cursors[run_id] = 0
                continue
            entry = keys.Entry.parse(last[0])
            if entry.end:  # written in full before the connection went
                self._cursors.pop(run_id, None)
                self._ended.discard(run_id)
            else:
                self._cursors[run_id] = entry.first + len(entry.events)

    async def _write(self, client: Redis) -> None:
        book = self.book
        assert book is not None
        pipe = client.pipeline(transaction=False)
        note = jsonio.dumps({"url": self.origin_url, "pid": os.getpid(), "version": __version__})
        pipe.execute_command("SET", keys.ORIGIN, note, "PX", keys.HEARTBEAT_TTL_MS)
        lobby, self._lobby = self._lobby, {}
        for run_id, summary in lobby.items():
            pipe.execute_command(
                "XADD", keys.LOBBY, "MAXLEN", "~", keys.LOBBY_MAXLEN, "*", "i", run_id, "r", summary
            )
            if run_id in book.runs:
                pipe.execute_command("HSET", keys.RUNS, run_id, summary)
            else:  # deleted, or forgotten by retention
                pipe.execute_command("HDEL", keys.RUNS, run_id)
                pipe.execute_command("DEL", keys.run_key(run_id))
                self._cursors.pop(run_id, None)
                self._ended.discard(run_id)
        views, self._views = self._views, {}
        for code, frame in views.items():
            pipe.execute_command(
                "XADD", keys.VIEWS, "MAXLEN", "~", keys.LOBBY_MAXLEN, "*", "c", code, "v", frame or ""
            )
            if frame is None:
                pipe.execute_command("HDEL", keys.SESSIONS, code)
            else:
                pipe.execute_command("HSET", keys.SESSIONS, code, frame)
        moved: dict[str, int] = {}
        for run_id, cursor in self._cursors.items():
            run = book.runs.get(run_id)
            if run is None:
                continue
            count = run.event_count
            key = keys.run_key(run_id)
            first = cursor
            while first < count:
                n = min(count - first, keys.CHUNK_EVENTS)
                data = b"\n".join(run.events[first : first + n])
                pipe.execute_command(
                    "XADD",
                    key,
                    "MAXLEN",
                    "~",
                    self.max_entries,
                    keys.entry_id(first),
                    "f",
                    first,
                    "n",
                    n,
                    "d",
                    data,
                )
                first += n
            ended = run_id in self._ended and not book.is_live(run_id)
            if ended:
                pipe.execute_command("XADD", key, keys.entry_id(count), "f", count, "n", 0, "e", 1)
            if first != cursor or ended:
                pipe.execute_command("PEXPIRE", key, self.keep_seconds * 1000)
            moved[run_id] = -1 if ended else first
        try:
            await pipe.execute()
        except BROKER_ERRORS:
            # Written or not, these go again (each is a whole state): a run deleted while the broker
            # was away must still reach the edges. The cursors are taken from the streams on reconnect.
            self._lobby = {**lobby, **self._lobby}
            self._views = {**views, **self._views}
            raise
        self.writes += 1
        for run_id, cursor in moved.items():
            if cursor < 0:
                self._cursors.pop(run_id, None)
                self._ended.discard(run_id)
            else:
                self._cursors[run_id] = cursor
