"""Read a run's event stream the way the dashboard does (static/js/run-stream.js): a client the server
drops (1013: too slow) or that loses its connection (1006...) reconnects with `?after=<last seq>` and
carries on, until it has run.end or the server closes normally (1000) or knows no such run (4404).

Unlike the page, this reader keeps every event it is given, overlap included, so a test can assert that
the server sent each seq exactly once across reconnects.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from app.frames import decode

CLOSE_NORMAL, CLOSE_UNKNOWN_RUN = 1000, 4404
FIRST_DELAY, MAX_DELAY = 0.05, 1.0  # backoff between attempts (the page: 0.5 s doubling to 10 s)

Event = dict[str, Any]


@dataclass
class Connection:
    url: str
    after: int  # the last seq the reader had when it opened this connection (-1: none)
    frames: int = 0
    events: int = 0
    sent_code: int | None = None  # the close code this client sent first, if it closed (e.g. 1009)
    close_code: int | None = None  # None: the connection could not be opened


@dataclass
class StreamRead:
    events: list[Event] = field(default_factory=list)  # as received, overlap included
    frames: list[list[Event]] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)

    @property
    def reconnects(self) -> int:
        return max(0, len(self.connections) - 1)

    @property
    def close_codes(self) -> list[int | None]:
        return [c.close_code for c in self.connections]

    @property
    def seqs(self) -> list[int]:
        return [e["seq"] for e in self.events]

    @property
    def last_seq(self) -> int:
        return max((e["seq"] for e in self.events), default=-1)

    @property
    def ended(self) -> bool:
        return any(e["kind"] == "run.end" for e in self.events)

    def summary(self) -> str:
        codes: dict[int | None, int] = {}  # close code -> connections, in order of first appearance
        for code in self.close_codes:
            key = None if code is None else int(code)
            codes[key] = codes.get(key, 0) + 1
        shown = ", ".join(f"{code} x{n}" for code, n in codes.items())
        closed = [c.sent_code for c in self.connections if c.sent_code is not None]
        mine = f" (the reader closed with {closed})" if closed else ""
        return f"{len(self.events)} events, {self.reconnects} reconnect(s), close codes: {shown}{mine}"


def read_run_stream(
    ws_url: str | list[str],
    run_id: str,
    *,
    pause: Callable[[StreamRead, ClientConnection], None] | None = None,
    hang_guard: float = 120.0,
    max_connections: int = 200,
    rcvbuf: int | None = None,
    max_queue: int = 16,
    max_size: int | None = None,
    compression: str | None = "deflate",
    encoding: str | None = None,
) -> StreamRead:
    """Every event of the run's stream, reconnecting like the page does.

    pause: called once with what was read so far and the connection, after the first frame; nothing is
    read while it runs: with a small `max_queue` (frames the client library buffers) and `rcvbuf` (the
    socket's receive buffer), the server's outbox for this client then fills up, as a slow page's does.
    ws_url: one server, or several (edges of one broker): each connection after the first goes to the
    next one in turn, as a load balancer would send a reconnecting page elsewhere.
    hang_guard: seconds the whole read may take at most. max_connections: a bound on reconnects, so a
    server that never finishes the stream fails the test instead of hanging it. max_size: the largest
    message accepted; None (no limit) as in a browser. The hub coalesces a tick's events into one frame,
    which on a loaded machine can pass the websockets library's default of 1 MiB: the library then
    closes the connection itself (1009, seen as 1006), which is a reader's limit, not the server's drop.
    compression: None to refuse permessage-deflate, so that the kernel's buffers hold only as many
    events as their bytes (deflated JSON is ~10x smaller: a stalled reader would take far longer to drop).
    encoding: "json" asks for JSON text frames (app/frames.py), for the same reason."""
    read = StreamRead()
    deadline = time.monotonic() + hang_guard
    delay = FIRST_DELAY
    pauses = [pause] if pause is not None else []  # one-shot: taken by the first frame that arrives
    urls = [ws_url] if isinstance(ws_url, str) else ws_url
    while len(read.connections) < max_connections:
        after = read.last_seq
        base = urls[len(read.connections) % len(urls)]
        query = [f"after={after}"] if after >= 0 else []
        query += [f"encoding={encoding}"] if encoding else []
        url = f"{base}/ws/runs/{run_id}" + ("?" + "&".join(query) if query else "")
        conn = Connection(url, after)
        read.connections.append(conn)
        try:
            ws = connect(
                url,
                sock=_socket(url, rcvbuf),
                max_queue=max_queue,
                max_size=max_size,
                open_timeout=10,
                compression=compression,
            )
        except (OSError, InvalidHandshake, TimeoutError):
            ws = None
        if ws is not None:
            with ws:
                conn.close_code = _read(ws, read, conn, deadline, pauses)
        if conn.close_code in (CLOSE_NORMAL, CLOSE_UNKNOWN_RUN) or read.ended:
            return read
        if time.monotonic() + delay > deadline:
            break
        time.sleep(delay)  # backoff between attempts, as the page's; not a wait for an outcome
        delay = FIRST_DELAY if conn.frames else min(MAX_DELAY, delay * 2)
    raise AssertionError(f"hang guard: the stream did not end ({read.summary()})")


def _socket(url: str, rcvbuf: int | None) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:  # before connect(), so the TCP window is sized by it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    try:
        sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    except OSError:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


def _read(
    ws: ClientConnection,
    read: StreamRead,
    conn: Connection,
    deadline: float,
    pauses: list[Callable[[StreamRead, ClientConnection], None]],
) -> int | None:
    """Frames until the server closes this connection; returns its close code (1006: no close frame)."""
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"hang guard: no end of stream in time ({read.summary()})")
            try:
                message = ws.recv(timeout=left)
            except TimeoutError:
                continue  # the loop's guard above says so
            frame = decode(message)  # as the page reads it: binary is raw deflate, text is JSON
            assert isinstance(frame, list), "frames are JSON arrays"
            read.frames.append(frame)
            read.events += frame
            conn.frames += 1
            conn.events += len(frame)
            if pauses:
                pauses.pop()(read, ws)
    except ConnectionClosed as closed:
        if closed.sent is not None and (closed.rcvd is None or closed.rcvd_then_sent is False):
            conn.sent_code = int(closed.sent.code)
    return ws.close_code
