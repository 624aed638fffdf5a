"""WebSocket routes: a run's event stream (/ws/runs/{id}) and the lobby of run statuses (/ws).

Frames go as raw-deflate binary messages, compressed once for every viewer (app/frames.py), or as JSON
text to a client that asks with `?encoding=json` (and to all, under --ws-compression per-viewer)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import suppress

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from app.engine.book import RunBook
from app.events import json_array
from app.frames import BACKLOG_LEVEL, ENCODINGS, Encoding, Frame
from app.outbox import Subscriber
from app.web.hub import Hub

router = APIRouter()

BACKLOG_CHUNK = 5000  # events per frame when sending history
CLOSE_NORMAL, CLOSE_UNSUPPORTED, CLOSE_TRY_AGAIN, CLOSE_UNKNOWN_RUN = 1000, 1003, 1013, 4404
CLOSE_BAD_REQUEST = 4400


async def client_encoding(ws: WebSocket) -> Encoding | None:
    """How this (accepted) client reads frames: `?encoding=deflate` (the default) or `json`; JSON text
    for every client when the server leaves compression to each connection (--ws-compression
    per-viewer). None: the parameter was wrong, and the socket has been closed with 4400 saying so."""
    asked = ws.query_params.get("encoding", "deflate")
    if asked not in ENCODINGS:
        await ws.close(CLOSE_BAD_REQUEST, reason=f"encoding must be one of {', '.join(ENCODINGS)}")
        return None
    if ws.app.state.settings.ws_compression == "per-viewer":
        return "json"
    return "json" if asked == "json" else "deflate"


@router.websocket("/ws/runs/{run_id}")
async def run_stream(ws: WebSocket, run_id: str, after: int = -1) -> None:
    book: RunBook = ws.app.state.engine.book
    hub: Hub = ws.app.state.hub
    await ws.accept()
    encoding = await client_encoding(ws)
    if encoding is None:
        return
    run = book.runs.get(run_id)
    if run is None:
        await ws.close(CLOSE_UNKNOWN_RUN, reason=f"no run with id {run_id!r}")
        return
    if hub.client_count >= book.limits.max_ws_clients:
        await ws.close(CLOSE_TRY_AGAIN, reason=f"limit of {book.limits.max_ws_clients} viewers reached")
        return
    live = hub.subscribe(run_id, encoding)
    # The history this client still needs ends where the live frames it will receive begin.
    history_end = live[1] if live is not None else run.event_count
    history = run.events[max(after + 1, 0) : history_end]
    chunks = _frames(history)
    if live is None:
        await _send_then_close(ws, chunks, encoding)
        return
    sub = live[0]
    book.set_viewers(run_id, hub.viewers(run_id))
    try:
        await pump(ws, sub, chunks)
    finally:
        hub.unsubscribe(run_id, sub)
        book.set_viewers(run_id, hub.viewers(run_id))


@router.websocket("/ws")
async def lobby(ws: WebSocket) -> None:
    book: RunBook = ws.app.state.engine.book
    hub: Hub = ws.app.state.hub
    await ws.accept()
    encoding = await client_encoding(ws)
    if encoding is None:
        return
    if hub.client_count >= book.limits.max_ws_clients:
        await ws.close(CLOSE_TRY_AGAIN, reason=f"limit of {book.limits.max_ws_clients} viewers reached")
        return
    sub = hub.subscribe_lobby(book.lobby_snapshot, encoding)
    try:
        await pump(ws, sub, [])
    finally:
        hub.unsubscribe_lobby(sub)


def _frames(history: list[bytes]) -> Iterator[Frame]:
    """History as frames, built lazily: a late joiner to a million-event run does not copy it at once."""
    for i in range(0, len(history), BACKLOG_CHUNK):
        yield Frame(json_array(history[i : i + BACKLOG_CHUNK]), BACKLOG_LEVEL)


async def send(ws: WebSocket, frame: Frame, encoding: Encoding) -> None:
    """The frame as this client reads it: the shared compressed bytes, or its JSON text."""
    payload = frame.payload(encoding)
    if isinstance(payload, bytes):
        await ws.send_bytes(payload)
    else:
        await ws.send_text(payload)


async def _send_then_close(ws: WebSocket, frames: Iterable[Frame], encoding: Encoding) -> None:
    with suppress(WebSocketDisconnect, RuntimeError):
        for frame in frames:
            await send(ws, frame, encoding)
        await ws.close(CLOSE_NORMAL)


async def pump(ws: WebSocket, sub: Subscriber, first: Iterable[Frame]) -> None:
    """Send `first`, then the subscriber's frames, until the stream ends, the client goes away or it
    falls too far behind (then it is closed with 1013 and the others are not held up)."""

    async def send_all() -> int:
        frame: Frame | None
        for frame in first:
            await send(ws, frame, sub.encoding)
        while True:
            frames = await sub.take()
            if not frames:
                return CLOSE_TRY_AGAIN
            for frame in frames:
                if frame is None:
                    return CLOSE_NORMAL
                await send(ws, frame, sub.encoding)

    async def listen() -> bool:
        """The client has nothing to say: True if it said something anyway, False if it left."""
        kind: str = (await ws.receive())["type"]
        return kind != "websocket.disconnect"

    sender = asyncio.create_task(send_all())
    reader = asyncio.create_task(listen())
    try:
        done, _ = await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done and reader.exception() is None and reader.result():
            with suppress(Exception):
                await asyncio.wait_for(ws.close(CLOSE_UNSUPPORTED, reason="this stream takes no messages"), 2)
        elif sender in done and sender.exception() is None:
            code = sender.result()
            with suppress(Exception):
                if ws.application_state == WebSocketState.CONNECTED:
                    reason = (
                        "stream ended" if code == CLOSE_NORMAL else "client too slow; reconnect to resume"
                    )
                    await asyncio.wait_for(ws.close(code, reason=reason), timeout=2)
    finally:
        for task in (sender, reader):
            task.cancel()
        await asyncio.gather(sender, reader, return_exceptions=True)
