"""Faults of a broker cluster, each one real: an edge SIGKILLed mid-run, Redis restarted mid-run (empty:
it keeps nothing on disk), the origin stopped, and a slow viewer on an edge. Each test starts its own
redis-server, origin and edges (tests/broker/cluster.py) and stops what is left of them."""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from app.frames import decode
from tests.broker.cluster import (
    HEALTH_GUARD_S,
    Cluster,
    add_edge,
    edge_events,
    firehose,
    health,
    start_cluster,
    start_redis,
    stop_cluster,
    stop_redis,
)
from tests.helpers import EVENTS_HANG_GUARD_S, rest_events, stop_server, wait_finished, wait_until
from tests.streams import StreamRead, read_run_stream

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = start_cluster(tmp_path)
    yield c
    stop_cluster(c)


def assert_every_event_once(read: StreamRead, origin_events: list[dict[str, Any]], status: str) -> None:
    assert read.seqs == list(range(len(origin_events))), read.summary()
    assert read.events == origin_events
    assert read.events[-1]["kind"] == "run.end" and read.events[-1]["data"]["status"] == status


def test_an_edge_sigkilled_mid_run_its_viewers_finish_on_another(cluster: Cluster) -> None:
    run_id = firehose(cluster.origin.url, events=15_000, rate=2500)  # 30,011 events over 6 s or more
    a, b = cluster.edges
    with ThreadPoolExecutor(6) as pool:
        # each reader goes to its first edge, and to the other one on every reconnect
        on_a = [pool.submit(read_run_stream, [a.ws_url, b.ws_url], run_id) for _ in range(4)]
        on_b = [pool.submit(read_run_stream, [b.ws_url, a.ws_url], run_id) for _ in range(2)]
        wait_until(lambda: edge_events(a, run_id) > 3000, EVENTS_HANG_GUARD_S, "events reach edge A")
        status_at_kill = httpx.get(f"{cluster.origin.url}/api/runs/{run_id}").json()["status"]
        stop_server(a, signal.SIGKILL)
        reads_a = [f.result() for f in on_a]
        reads_b = [f.result() for f in on_b]
    assert status_at_kill == "running"
    run = wait_finished(cluster.origin, run_id)
    origin_events = rest_events(cluster.origin.url, run_id)
    assert run["status"] == "succeeded" and len(origin_events) == 30_011
    for read in reads_a:
        print(f"viewer of the killed edge: {read.summary()}")
        assert read.connections[0].events > 0, "the viewer had events from edge A before it died"
        assert read.connections[0].close_code in (1006, None), read.summary()
        assert read.connections[-1].url.startswith(b.ws_url), read.summary()
        assert_every_event_once(read, origin_events, "succeeded")
    for read in reads_b:
        assert read.reconnects == 0, read.summary()
        assert_every_event_once(read, origin_events, "succeeded")


def test_redis_restarted_empty_mid_run_edges_reconnect_and_fill_the_gap(
    cluster: Cluster, tmp_path: Path
) -> None:
    run_id = firehose(cluster.origin.url, events=15_000, rate=2500)
    a, b = cluster.edges
    with ThreadPoolExecutor(4) as pool:
        reads = [pool.submit(read_run_stream, edge.ws_url, run_id) for edge in (a, a, b, b)]
        wait_until(lambda: edge_events(a, run_id) > 3000, EVENTS_HANG_GUARD_S, "events reach edge A")
        had = edge_events(a, run_id)
        port = cluster.redis.port
        stop_redis(cluster.redis, signal.SIGKILL)
        for edge in (a, b):
            wait_until(lambda e=edge: health(e)["broker"] == "down", HEALTH_GUARD_S, "the edge sees Redis go")
        status_while_down = httpx.get(f"{cluster.origin.url}/api/runs/{run_id}").json()["status"]
        cluster.redis = start_redis(tmp_path, port)  # the same address, nothing in it
        done = [f.result() for f in reads]
    run = wait_finished(cluster.origin, run_id)
    origin_events = rest_events(cluster.origin.url, run_id)
    assert status_while_down == "running" and 0 < had < len(origin_events) - 1000
    for read in done:
        print(f"viewer across the Redis restart: {read.summary()}")
        assert read.reconnects == 0, "the edges held their viewers while Redis was away"
        assert_every_event_once(read, origin_events, "succeeded")
    for edge in (a, b):
        h = health(edge)
        assert (h["broker"], h["origin"], h["gaps"]) == ("up", "up", 0), h
        assert rest_events(edge.url, run_id) == origin_events
        assert httpx.get(f"{edge.url}/api/runs/{run_id}").json()["status"] == run["status"]
    # a viewer who joins now gets the whole run from the new Redis (the origin published it again)
    assert_every_event_once(read_run_stream(b.ws_url, run_id), origin_events, "succeeded")


def test_the_origin_stopped_edges_keep_serving_and_show_it_down(cluster: Cluster) -> None:
    run_id = firehose(cluster.origin.url, events=100_000, rate=2500)  # 40 s: the stop ends it first
    a, b = cluster.edges
    with ThreadPoolExecutor(2) as pool:
        reads = [pool.submit(read_run_stream, edge.ws_url, run_id) for edge in (a, b)]
        wait_until(lambda: edge_events(b, run_id) > 2000, EVENTS_HANG_GUARD_S, "events reach edge B")
        stop_server(cluster.origin)  # SIGTERM: the run is cancelled and its end published, then it goes
        done = [f.result() for f in reads]
    for edge in (a, b):
        wait_until(
            lambda e=edge: health(e)["origin"] == "down", HEALTH_GUARD_S, "the edge sees the origin go"
        )
    kept = rest_events(a.url, run_id)
    assert kept[-1]["kind"] == "run.end" and kept[-1]["data"]["status"] == "cancelled"
    for read in done:
        assert_every_event_once(read, kept, "cancelled")
    for edge in (a, b):
        assert health(edge)["broker"] == "up"
        assert rest_events(edge.url, run_id) == kept
        assert httpx.get(f"{edge.url}/api/runs/{run_id}").json()["status"] == "cancelled"
        assert httpx.get(f"{edge.url}/runs/{run_id}").status_code == 200
        assert_every_event_once(read_run_stream(edge.ws_url, run_id), kept, "cancelled")


def test_the_origin_killed_edges_serve_what_they_have(cluster: Cluster) -> None:
    """SIGKILL: no end is published. Edges still serve the events they have, the run as last published
    (running: nobody is left to say otherwise), and the origin as down once its heartbeat expires."""
    run_id = firehose(cluster.origin.url, events=100_000, rate=2500)
    a = cluster.edges[0]
    wait_until(lambda: edge_events(a, run_id) > 2000, EVENTS_HANG_GUARD_S, "events reach edge A")
    stop_server(cluster.origin, signal.SIGKILL)
    wait_until(lambda: health(a)["origin"] == "down", HEALTH_GUARD_S, "the edge sees the origin go")
    kept = rest_events(a.url, run_id)
    assert [e["seq"] for e in kept] == list(range(len(kept))) and len(kept) > 2000
    assert httpx.get(f"{a.url}/api/runs/{run_id}").json()["status"] == "running"
    with connect(f"{a.ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        got: list[dict[str, Any]] = []
        while len(got) < len(kept):
            got += decode(ws.recv(timeout=EVENTS_HANG_GUARD_S))
    assert got == kept


@pytest.fixture
def slow_cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = start_cluster(tmp_path, edges=1, edge_args=("--client-buffer", str(1 << 20)))
    yield c
    stop_cluster(c)


@pytest.mark.timeout(400)  # a hang guard: two full reads of 80,011 events on a loaded 2-core machine
def test_a_slow_viewer_on_an_edge_is_dropped_and_the_others_are_not(slow_cluster: Cluster) -> None:
    """The edge's hub drops a viewer that falls over --client-buffer behind (1013), as the origin's does;
    it reconnects and gets the rest; the two others on the same edge are never dropped. The slow one reads
    nothing until the edge has the whole run: the run sends more (11 MB) than its buffers hold (the
    kernel's send buffer at its largest, 4 MB, its 4 KiB receive buffer and the edge's 1 MiB, twice: the
    outbox and the frames being sent; JSON text, no deflate), so it must be dropped."""
    edge = slow_cluster.edges[0]
    run_id = firehose(slow_cluster.origin.url, events=40_000, rate=5000)  # 80,011 events, 8 s or more
    origin = slow_cluster.origin

    def viewers() -> int:
        return int(httpx.get(f"{edge.url}/api/stats", timeout=10).json()["viewers"])

    def stall(read: StreamRead, ws: ClientConnection) -> None:
        """Read nothing until the edge has offered this viewer the whole run (the edge's copy holds it
        all: its hub offers each event as it copies it), which on a loaded machine is after the origin
        has ended it."""
        total = wait_finished(origin, run_id)["event_count"]
        wait_until(lambda: events_held() >= total, 300, "the edge copying the whole run")

    def events_held() -> int:
        return int(httpx.get(f"{edge.url}/api/stats", timeout=10).json()["events_held"])

    with ThreadPoolExecutor(3) as pool:
        slow = pool.submit(
            read_run_stream,
            edge.ws_url,
            run_id,
            pause=stall,
            rcvbuf=4096,
            max_queue=1,
            hang_guard=300,
            compression=None,
            encoding="json",
        )
        wait_until(lambda: viewers() >= 1, EVENTS_HANG_GUARD_S, "the slow viewer connects")
        others = [pool.submit(read_run_stream, edge.ws_url, run_id, hang_guard=300) for _ in range(2)]
        slow_read = slow.result()
        other_reads = [f.result() for f in others]
    origin_events = rest_events(origin.url, run_id)
    assert len(origin_events) == 80_011
    print(f"slow viewer: {slow_read.summary()}")
    assert slow_read.reconnects >= 1 and slow_read.close_codes[0] in (1013, 1006), slow_read.summary()
    assert slow_read.connections[0].events < len(origin_events) // 2, slow_read.summary()
    assert_every_event_once(slow_read, origin_events, "succeeded")
    for read in other_reads:
        assert read.reconnects == 0, read.summary()
        assert_every_event_once(read, origin_events, "succeeded")


def test_a_finished_run_expires_from_the_broker_after_broker_keep(tmp_path: Path) -> None:
    """--broker-keep bounds what Redis holds: a finished run's stream expires that long after its end. An
    edge that read the run keeps serving it; one that comes later says the events have expired (410, and
    4404 on the WebSocket), while the run's summary is still listed."""
    cluster = start_cluster(tmp_path, edges=1, origin_args=("--broker-keep", "1"))
    try:
        run_id = firehose(cluster.origin.url, events=500, rate=1000)
        first = cluster.edges[0]
        origin_events = (
            rest_events(cluster.origin.url, run_id) if wait_finished(cluster.origin, run_id) else []
        )
        assert_every_event_once(read_run_stream(first.ws_url, run_id), origin_events, "succeeded")
        key = f"mpscope:run:{run_id}".encode()
        wait_until(lambda: not redis_exists(cluster.redis.port, key), HEALTH_GUARD_S, "the stream expires")
        late = add_edge(cluster, tmp_path)
        assert httpx.get(f"{late.url}/api/runs/{run_id}").json()["status"] == "succeeded"
        answer = httpx.get(f"{late.url}/api/runs/{run_id}/events")
        assert answer.status_code == 410 and "expired" in answer.json()["detail"], answer.text
        read = read_run_stream(late.ws_url, run_id)
        assert read.close_codes == [4404] and read.events == [], read.summary()
        assert rest_events(first.url, run_id) == origin_events  # the edge that read it still has it
    finally:
        stop_cluster(cluster)


def redis_exists(port: int, key: bytes) -> bool:
    """EXISTS over a bare socket (RESP), so the test asks Redis itself, not the code it checks."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*2\r\n$6\r\nEXISTS\r\n$%d\r\n%s\r\n" % (len(key), key))
        return s.recv(64).startswith(b":1")
