"""WebSocket routes: a run's event stream (/ws/runs/{id}) and the lobby of run statuses (/ws)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import suppress

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from app.engine.book import RunBook
from app.events import json_array
from app.outbox import Subscriber
from app.web.hub import Hub

router = APIRouter()

BACKLOG_CHUNK = 5000  # events per frame when sending history
CLOSE_NORMAL, CLOSE_UNSUPPORTED, CLOSE_TRY_AGAIN, CLOSE_UNKNOWN_RUN = 1000, 1003, 1013, 4404


@router.websocket("/ws/runs/{run_id}")
async def run_stream(ws: WebSocket, run_id: str, after: int = -1) -> None:
    book: RunBook = ws.app.state.engine.book
    hub: Hub = ws.app.state.hub
    await ws.accept()
    run = book.runs.get(run_id)
    if run is None:
        await ws.close(CLOSE_UNKNOWN_RUN, reason=f"no run with id {run_id!r}")
        return
    if hub.client_count >= book.limits.max_ws_clients:
        await ws.close(CLOSE_TRY_AGAIN, reason=f"limit of {book.limits.max_ws_clients} viewers reached")
        return
    live = hub.subscribe(run_id)
    # The history this client still needs ends where the live frames it will receive begin.
    history_end = live[1] if live is not None else run.event_count
    history = run.events[max(after + 1, 0) : history_end]
    chunks = _frames(history)
    if live is None:
        await _send_then_close(ws, chunks)
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
    if hub.client_count >= book.limits.max_ws_clients:
        await ws.close(CLOSE_TRY_AGAIN, reason=f"limit of {book.limits.max_ws_clients} viewers reached")
        return
    sub = hub.subscribe_lobby(book.lobby_snapshot)
    try:
        await pump(ws, sub, [])
    finally:
        hub.unsubscribe_lobby(sub)


def _frames(history: list[bytes]) -> Iterator[str]:
    """History as frames, built lazily: a late joiner to a million-event run does not copy it at once."""
    for i in range(0, len(history), BACKLOG_CHUNK):
        yield json_array(history[i : i + BACKLOG_CHUNK]).decode()


async def _send_then_close(ws: WebSocket, frames: Iterable[str]) -> None:
    with suppress(WebSocketDisconnect, RuntimeError):
        for frame in frames:
            await ws.send_text(frame)
        await ws.close(CLOSE_NORMAL)


async def pump(ws: WebSocket, sub: Subscriber, first: Iterable[str]) -> None:
    """Send `first`, then the subscriber's frames, until the stream ends, the client goes away or it
    falls too far behind (then it is closed with 1013 and the others are not held up)."""

    async def send_all() -> int:
        frame: str | None
        for frame in first:
            await ws.send_text(frame)
        while True:
            frames = await sub.take()
            if not frames:
                return CLOSE_TRY_AGAIN
            for frame in frames:
                if frame is None:
                    return CLOSE_NORMAL
                await ws.send_text(frame)

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
