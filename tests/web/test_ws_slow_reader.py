"""A slow reader is not a lost lesson: the hub drops a WebSocket client that falls too far behind (1013),
and a client that reconnects with ?after=<last seq>, as the dashboard does, still gets every event once.

The server here keeps a tiny per-client buffer (--client-buffer), and the client stops reading (a
`pause` in tests/streams.py) until the hub has dropped it: /api/stats counts the hub's registrations, so
"dropped" is observed, not assumed from a sleep. Its socket receive buffer and its library's frame queue
are small too, so the server's sends block soon after the client stops reading.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection

from tests.helpers import SERVER_START_METHOD, LiveServer, start_server, stop_server
from tests.streams import StreamRead, read_run_stream

CLIENT_BUFFER = 16 * 1024  # bytes the hub buffers per client before it drops it
RCVBUF, MAX_QUEUE = 4096, 1  # the reader's socket buffer and its library's queue (frames)
EVENT_BYTES = 140  # a firehose event's JSON, about
# The firehose is paced: it cannot end before events / rate seconds, however fast the machine is.
EVENTS, RATE = 50_000, 10_000  # per process, 2 processes: 100,011 events, at least 5 s of run
HANG_GUARD = 120  # seconds: over 10x what a read of this run takes on a loaded 2-core machine


def kernel_send_buffer_max() -> int:
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            return int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 * 1024 * 1024


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    method = SERVER_START_METHOD
    server = start_server(
        tmp_path_factory.mktemp("slow"), "--start-method", method, "--client-buffer", str(CLIENT_BUFFER)
    )
    yield server
    stop_server(server)


def start_firehose(server: LiveServer) -> str:
    params = {"processes": 2, "events": EVENTS, "rate": RATE}
    response = httpx.post(f"{server.url}/api/runs", json={"scenario": "firehose", "params": params})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def run_info(server: LiveServer, run_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/runs/{run_id}")
    assert response.status_code == 200
    return dict(response.json())


def hub_registrations(server: LiveServer) -> int:
    return int(httpx.get(f"{server.url}/api/stats").json()["viewers"])


def wait_for(what: str, done: Callable[[], bool], guard: float = 60) -> None:
    """Poll until `done()`; the guard (seconds) only stops a hang."""
    deadline = time.monotonic() + guard
    while not done():
        assert time.monotonic() < deadline, f"hang guard: {what} did not happen within {guard} s"
        time.sleep(0.02)


def assert_every_event_once(read: StreamRead, run: dict[str, Any]) -> None:
    """Each seq exactly once, in order, ending with run.end and a normal close; and every reconnect
    asked for what follows the last seq the reader had."""
    assert read.seqs == list(range(run["event_count"])), f"not each seq once, in order: {read.summary()}"
    assert read.events[-1]["kind"] == "run.end" and read.events[-1]["data"]["status"] == "succeeded"
    assert read.close_codes[-1] == 1000
    had = 0
    for conn in read.connections:
        assert conn.after == (read.events[had - 1]["seq"] if had else -1), read.summary()
        had += conn.events


def test_the_run_outgrows_what_the_buffers_hold() -> None:
    """The precondition of the drops below: the run sends more than the kernel's socket buffers (the
    server's send buffer at its largest and the reader's receive buffer) and the hub's buffer can hold."""
    produced = 2 * EVENTS * EVENT_BYTES
    assert produced > 2 * (kernel_send_buffer_max() + RCVBUF + CLIENT_BUFFER)


def test_a_reader_dropped_mid_run_reconnects_and_gets_every_event_once(slow_server: LiveServer) -> None:
    run_id = start_firehose(slow_server)
    at_drop: dict[str, Any] = {}

    def stall(read: StreamRead, ws: ClientConnection) -> None:
        """Read nothing until the hub has dropped this reader."""
        wait_for("the hub dropping the stalled reader", lambda: hub_registrations(slow_server) == 0)
        at_drop.update(status=run_info(slow_server, run_id)["status"], have=read.last_seq)

    read = read_run_stream(
        slow_server.ws_url, run_id, pause=stall, rcvbuf=RCVBUF, max_queue=MAX_QUEUE, hang_guard=HANG_GUARD
    )
    run = run_info(slow_server, run_id)
    print(f"dropped mid-run: {read.summary()}")  # shown with -s or -rP
    assert at_drop["status"] == "running", "the drop came while the run went on"
    assert read.reconnects >= 1 and read.close_codes[0] in (1013, 1006), read.summary()
    assert all(code in (1013, 1006) for code in read.close_codes[:-1]), read.summary()
    assert_every_event_once(read, run)
    wait_for("the hub forgetting the reader", lambda: hub_registrations(slow_server) == 0)


def test_a_reader_dropped_then_back_after_the_end_gets_the_rest_and_run_end(slow_server: LiveServer) -> None:
    run_id = start_firehose(slow_server)
    at_resume: dict[str, Any] = {}

    def stall(read: StreamRead, ws: ClientConnection) -> None:
        """Read nothing until the hub has dropped this reader and the run has ended meanwhile."""
        wait_for("the hub dropping the stalled reader", lambda: hub_registrations(slow_server) == 0)
        wait_for("the run's end", lambda: run_info(slow_server, run_id)["status"] == "succeeded", HANG_GUARD)
        at_resume.update(have=read.last_seq)

    read = read_run_stream(
        slow_server.ws_url, run_id, pause=stall, rcvbuf=RCVBUF, max_queue=MAX_QUEUE, hang_guard=HANG_GUARD
    )
    run = run_info(slow_server, run_id)
    print(f"back after the end: {read.summary()}")
    # One reconnect: to a run that has ended, which sends the rest of its events, run.end, then 1000.
    assert read.reconnects == 1 and read.close_codes[0] in (1013, 1006), read.summary()
    assert 0 <= at_resume["have"] < run["event_count"] - 1
    assert_every_event_once(read, run)


def test_a_reader_cut_off_abnormally_reconnects_and_gets_every_event_once(live_server: LiveServer) -> None:
    """1006: the connection goes without a close handshake (as on a network blip), mid-run; on a server
    with the default client buffer, so this is the only reconnect a reader this quick should need."""
    params = {"processes": 2, "events": 5000, "rate": 2000}  # at least 2.5 s of run
    response = httpx.post(f"{live_server.url}/api/runs", json={"scenario": "firehose", "params": params})
    assert response.status_code == 201, response.text
    run_id = str(response.json()["id"])
    at_cut: dict[str, Any] = {}

    def cut(read: StreamRead, ws: ClientConnection) -> None:
        at_cut.update(status=run_info(live_server, run_id)["status"])
        ws.socket.shutdown(socket.SHUT_RDWR)

    read = read_run_stream(live_server.ws_url, run_id, pause=cut, hang_guard=HANG_GUARD)
    print(f"cut off: {read.summary()}")
    assert at_cut["status"] == "running"
    assert read.reconnects >= 1 and read.close_codes[0] == 1006, read.summary()
    assert_every_event_once(read, run_info(live_server, run_id))
