"""serve --broker + edges, all real processes around a real redis-server: every viewer on every edge gets
the backlog and then live events with no gap, a reconnect to another edge with ?after=SEQ misses nothing
and repeats nothing, late joiners get it all, edges change nothing (405), and the lobby and presenter
views reach edge viewers. The faults are in test_broker_faults.py."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.frames import decode
from tests.broker.cluster import Cluster, edge_events, firehose, start_cluster, stop_cluster
from tests.helpers import EVENTS_HANG_GUARD_S, rest_events, wait_finished, wait_until
from tests.streams import StreamRead, read_run_stream

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = start_cluster(tmp_path_factory.mktemp("broker"))
    yield c
    stop_cluster(c)


def assert_complete(read: StreamRead, origin_events: list[dict[str, Any]]) -> None:
    """Each seq once, in order, exactly the origin's events, ending with run.end."""
    assert read.seqs == list(range(len(origin_events))), read.summary()
    assert read.events == origin_events
    assert read.events[-1]["kind"] == "run.end"


def test_every_edge_gives_backlog_then_live_with_no_gap(cluster: Cluster) -> None:
    run_id = firehose(cluster.origin.url, events=10_000, rate=2500)  # 20,011 events over 4 s or more
    a, b = cluster.edges
    with ThreadPoolExecutor(5) as pool:
        early = [pool.submit(read_run_stream, ws, run_id) for ws in cluster.edge_ws]
        # late joiners, mid-run: the backlog from the edge's copy, then the live events
        wait_until(lambda: edge_events(a, run_id) > 2000, EVENTS_HANG_GUARD_S, "events reach edge A")
        wait_until(lambda: edge_events(b, run_id) > 2000, EVENTS_HANG_GUARD_S, "events reach edge B")
        late = [pool.submit(read_run_stream, ws, run_id) for ws in cluster.edge_ws]
        reads = [f.result() for f in early + late]
    run = wait_finished(cluster.origin, run_id)
    assert run["status"] == "succeeded"
    origin_events = rest_events(cluster.origin.url, run_id)
    assert len(origin_events) == run["event_count"] == 20_011
    for read in reads:
        assert_complete(read, origin_events)
        assert read.reconnects == 0, read.summary()
    assert any(r.frames[0][0]["seq"] == 0 and len(r.frames[0]) > 1000 for r in reads[2:]), "no late backlog"
    # after the end: the whole run, from each edge, by WebSocket and by REST, as the origin has it
    for edge in cluster.edges:
        assert_complete(read_run_stream(edge.ws_url, run_id), origin_events)
        assert rest_events(edge.url, run_id) == origin_events
        assert httpx.get(f"{edge.url}/api/runs/{run_id}").json()["status"] == "succeeded"


def test_reconnect_to_another_edge_with_after_misses_nothing_repeats_nothing(cluster: Cluster) -> None:
    run_id = firehose(cluster.origin.url, events=10_000, rate=2500)
    a, b = cluster.edges
    seen: list[dict[str, Any]] = []
    with connect(f"{a.ws_url}/ws/runs/{run_id}", max_size=None) as ws:
        while len(seen) < 3000:  # mid-run: the run lasts 4 s or more, reading this much takes less
            seen += decode(ws.recv(timeout=EVENTS_HANG_GUARD_S))
    switched_at = seen[-1]["seq"]
    with connect(f"{b.ws_url}/ws/runs/{run_id}?after={switched_at}", max_size=None) as ws:
        while seen[-1]["kind"] != "run.end":
            seen += decode(ws.recv(timeout=EVENTS_HANG_GUARD_S))
    origin_events = rest_events(cluster.origin.url, run_id)
    assert [e["seq"] for e in seen] == list(range(len(origin_events)))
    assert seen == origin_events
    assert 0 < switched_at < len(origin_events) - 1000, "the switch was not mid-run"


def test_edges_are_read_only(cluster: Cluster) -> None:
    edge = cluster.edges[0]
    for method, path in (
        ("POST", "/api/runs"),
        ("POST", "/api/runs/abc/cancel"),
        ("DELETE", "/api/runs/abc"),
        ("POST", "/api/present"),
        ("POST", "/api/follow/ABCDEF/answer"),
    ):
        answer = httpx.request(method, f"{edge.url}{path}", json={}, timeout=10)
        assert answer.status_code == 405, (method, path, answer.text)
        assert "origin" in answer.json()["detail"]
        assert answer.headers["allow"] == "GET, HEAD"
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{edge.ws_url}/ws/present/ABCDEF?key=x")
    assert refused.value.response.status_code == 403
    # reading is the same as on the origin
    for path in ("/api/scenarios", "/api/scenarios/race"):
        assert httpx.get(f"{edge.url}{path}").json() == httpx.get(f"{cluster.origin.url}{path}").json()
    assert httpx.get(f"{edge.url}/").status_code == 200
    assert httpx.get(f"{edge.url}/api/runs/nope").status_code == 404
    health = httpx.get(f"{edge.url}/api/health").json()
    assert (health["role"], health["broker"], health["origin"]) == ("edge", "up", "up")
    assert health["origin_url"] == cluster.origin.url


def test_lobby_and_presenter_views_reach_edge_viewers(cluster: Cluster) -> None:
    edge = cluster.edges[1]
    origin = cluster.origin.url
    presentation = httpx.post(f"{origin}/api/present", timeout=10).json()
    code, key = presentation["code"], {"X-Presenter-Key": presentation["key"]}
    wait_until(
        lambda: httpx.get(f"{edge.url}/api/follow/{code}").status_code == 200,
        EVENTS_HANG_GUARD_S,
        "the presentation reaches the edge",
    )
    with (
        connect(f"{edge.ws_url}/ws", max_size=None) as lobby,
        connect(f"{edge.ws_url}/ws/follow/{code}") as follow,
    ):
        snapshot = decode(lobby.recv(timeout=10))
        assert isinstance(snapshot, list)
        assert decode(follow.recv(timeout=10))["view"] is None
        run_id = firehose(origin, events=100, rate=1000)
        view = {"path": f"/runs/{run_id}"}
        assert httpx.post(f"{origin}/api/present/{code}/view", json=view, headers=key).status_code == 204
        frame = {"view": None}
        while frame["view"] is None:  # a frame again for this follower's own arrival, then the view
            frame = decode(follow.recv(timeout=EVENTS_HANG_GUARD_S))
        assert frame["view"]["path"] == f"/runs/{run_id}"
        statuses: list[str] = []
        while "succeeded" not in statuses:
            statuses += [
                r["status"] for r in decode(lobby.recv(timeout=EVENTS_HANG_GUARD_S)) if r["id"] == run_id
            ]
        assert statuses[0] in ("queued", "running")
        assert httpx.get(f"{edge.url}/api/follow/{code}").json()["view"]["path"] == f"/runs/{run_id}"
        assert httpx.delete(f"{origin}/api/present/{code}", headers=key).status_code == 204
        wait_until(
            lambda: follow.close_code is not None or _ended(follow), EVENTS_HANG_GUARD_S, "the follow ends"
        )
    assert any(r["id"] == run_id for r in httpx.get(f"{edge.url}/api/runs").json())


def _ended(ws: Any) -> bool:
    try:
        ws.recv(timeout=0.2)
    except TimeoutError:
        return False
    except Exception:
        return True
    return False
