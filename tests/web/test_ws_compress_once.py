"""Compress once (issue 16): every viewer gets the same compressed bytes for a frame, made once.

Real uvicorn, real websockets clients that offer permessage-deflate as browsers do (the library's
default), reading concurrently. The server declines the extension and sends each frame as raw deflate
in a binary message (app/frames.py); the clients inflate it, as static/js/socket.js does. Counted on the
server (/api/stats): one compression per live frame, whatever the number of viewers. No timing asserts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from app.frames import decode
from tests.helpers import HangError, LiveServer, start_server, stop_server, wait_finished

VIEWERS = 6
# Paced: at least 2 s of run, however fast the machine, so that every viewer joins while it goes.
PARAMS = {"processes": 1, "events": 4000, "rate": 2000}
READ_HANG_GUARD_S = 120  # 10x+ what reading this run takes on a loaded 2-core machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own: its counters see only the runs started here."""
    live = start_server(tmp_path_factory.mktemp("once"))
    yield live
    stop_server(live)


def stats(server: LiveServer) -> dict[str, int]:
    return dict(httpx.get(f"{server.url}/api/stats", timeout=10).json())


def firehose(server: LiveServer) -> str:
    response = httpx.post(
        f"{server.url}/api/runs", json={"scenario": "firehose", "params": PARAMS}, timeout=10
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


class Reader(threading.Thread):
    """One viewer: every message as it came (raw), until the server closes."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(daemon=True)
        self.ws = ws
        self.messages: list[bytes | str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while True:
                self.messages.append(self.ws.recv(timeout=READ_HANG_GUARD_S))
        except ConnectionClosed:
            pass
        except BaseException as exc:  # a hang guard or a bug: reported by the test
            self.error = exc


def read_together(url: str, viewers: int) -> list[Reader]:
    with ExitStack() as stack:  # every socket closed on the way out, whatever happens
        sockets = [stack.enter_context(connect(url, max_size=None, open_timeout=10)) for _ in range(viewers)]
        readers = [Reader(ws) for ws in sockets]
        for r in readers:
            r.start()
        for r in readers:
            r.join(READ_HANG_GUARD_S + 10)
            if r.is_alive():
                raise HangError("hang guard", f"a viewer still reading after {READ_HANG_GUARD_S} s")
            assert r.error is None, r.error
    return readers


def test_every_viewer_gets_the_same_bytes_compressed_once(server: LiveServer) -> None:
    before = stats(server)
    run_id = firehose(server)
    readers = read_together(f"{server.ws_url}/ws/runs/{run_id}", VIEWERS)
    run = wait_finished(server, run_id)
    after = stats(server)

    live_frames: dict[int, list[bytes]] = {}  # a live frame's first seq -> its bytes, as each viewer got them
    for r in readers:
        # The client offered permessage-deflate, as a browser does; the server declined it: the frames
        # come compressed already, and nothing compresses them again per connection.
        assert "permessage-deflate" in r.ws.request.headers["Sec-WebSocket-Extensions"]  # type: ignore[union-attr]
        assert "Sec-WebSocket-Extensions" not in r.ws.response.headers  # type: ignore[union-attr]
        assert r.ws.close_code == 1000
        assert all(isinstance(m, bytes) for m in r.messages), "frames are binary: raw deflate"
        frames: list[list[dict[str, Any]]] = [decode(m) for m in r.messages]
        seqs = [e["seq"] for frame in frames for e in frame]
        assert seqs == list(range(run["event_count"])), "every event, once, in order"
        assert frames[-1][-1]["kind"] == "run.end"
        # The first frame may be this viewer's own backlog; every later one is a live frame of the hub.
        for raw, frame in zip(r.messages[1:], frames[1:], strict=True):
            live_frames.setdefault(frame[0]["seq"], []).append(raw)  # type: ignore[arg-type]
    shared = [seq for seq, got in live_frames.items() if len(got) >= 2]
    assert len(shared) >= 10, "the viewers shared many live frames"
    different = {seq: len(set(got)) for seq, got in live_frames.items() if len(set(got)) > 1}
    assert different == {}, f"a frame sent as different bytes to different viewers: {different}"

    built = after["frames_built"] - before["frames_built"]
    compressed = after["frames_compressed"] - before["frames_compressed"]
    compressions = after["compressions"] - before["compressions"]
    # Live frames built before the first viewer came had no one to compress them for; every one after
    # was compressed once, for all the viewers.
    assert len(shared) <= compressed <= built, (len(shared), compressed, built)
    # Every compression the server made: one per live frame, plus at most one backlog frame per viewer
    # (each joined under 5,000 events in); per viewer per frame would be about VIEWERS x compressed.
    assert compressed <= compressions <= compressed + VIEWERS, (compressed, compressions)


def test_a_client_that_cannot_inflate_asks_for_json_text(server: LiveServer) -> None:
    run_id = firehose(server)
    run = wait_finished(server, run_id)
    with connect(f"{server.ws_url}/ws/runs/{run_id}?encoding=json", max_size=None) as ws:
        messages = []
        with pytest.raises(ConnectionClosed):
            while True:
                messages.append(ws.recv(timeout=30))
    assert ws.close_code == 1000
    assert all(isinstance(m, str) for m in messages), "text frames: JSON"
    assert [e["seq"] for m in messages for e in decode(m)] == list(range(run["event_count"]))
    with connect(f"{server.ws_url}/ws?encoding=json") as ws:
        assert isinstance(ws.recv(timeout=10), str)
    with connect(f"{server.ws_url}/ws") as ws:
        first = ws.recv(timeout=10)
        assert isinstance(first, bytes) and isinstance(decode(first), list)  # the lobby, compressed


def test_an_unknown_encoding_is_refused_by_name(server: LiveServer) -> None:
    for path in ("/ws", "/ws/runs/ffffffff", "/ws/follow/ABCDEF"):
        with connect(f"{server.ws_url}{path}?encoding=gzip") as ws:
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
        assert ws.close_code == 4400, path
        assert ws.close_reason == "encoding must be one of deflate, json"


def test_per_viewer_mode_is_the_old_way(tmp_path: Path) -> None:
    """--ws-compression per-viewer (the bench's baseline): JSON text, deflated by each connection."""
    old = start_server(tmp_path, "--ws-compression", "per-viewer")
    try:
        run_id = firehose(old)
        run = wait_finished(old, run_id)
        with connect(f"{old.ws_url}/ws/runs/{run_id}", max_size=None) as ws:
            assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]  # type: ignore[union-attr]
            messages = []
            with pytest.raises(ConnectionClosed):
                while True:
                    messages.append(ws.recv(timeout=30))
        assert all(isinstance(m, str) for m in messages)
        assert [e["seq"] for m in messages for e in decode(m)] == list(range(run["event_count"]))
        assert stats(old)["compressions"] == 0
    finally:
        stop_server(old)
