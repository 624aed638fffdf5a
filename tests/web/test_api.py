"""REST against a real uvicorn: shapes, concepts, and clear 4xx for bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app import jsonio
from tests.helpers import (
    EVENTS_HANG_GUARD_S,
    SERVER_START_METHOD,
    LiveServer,
    failed_run,
    post_run,
    race_from_events,
    rest_events,
    start_run,
    wait_finished,
    wait_until,
)


def test_health(live_server: LiveServer) -> None:
    health = httpx.get(f"{live_server.url}/api/health").json()
    assert health["status"] == "ok" and health["version"] == "0.1.0"  # the rest: tests/web/test_platform.py


def test_scenarios_describe_themselves(live_server: LiveServer) -> None:
    scenarios = {s["id"]: s for s in httpx.get(f"{live_server.url}/api/scenarios").json()}
    race = scenarios["race"]
    assert set(race) >= {"id", "title", "concepts", "explanation", "params", "defaults", "presets"}
    assert race["explanation"]["en"] and race["explanation"]["zh"]
    for s in scenarios.values():  # every lesson's title in both languages: none in English on a zh page
        assert s["titles"]["en"] == s["title"], s["id"]
        if s["id"].startswith("test-"):
            continue  # tests/plugins.py
        assert any("\u3400" <= ch <= "\u9fff" for ch in s["titles"]["zh"]), s["titles"]
    workers = race["params"]["properties"]["workers"]
    assert (workers["minimum"], workers["maximum"], workers["default"]) == (1, 16, 4)
    assert race["defaults"] == {
        "workers": 4,
        "increments": 1000,
        "use_lock": False,
        "delay_ms": 0,
        "hold_ms": 0,
    }
    source = httpx.get(f"{live_server.url}/api/scenarios/race").json()["source"]
    assert "def worker(" in source and "counter.value = value + 1" in source


@pytest.mark.parametrize("use_lock", [False, True])
def test_race_run_over_rest(live_server: LiveServer, use_lock: bool) -> None:
    response = post_run(live_server, {"scenario": "race", "params": {"use_lock": use_lock}})
    assert response.status_code == 201
    created = response.json()
    assert created["status"] in ("queued", "running") and created["start_method"] == SERVER_START_METHOD
    run = wait_finished(live_server, created["id"])
    assert run["status"] == "succeeded" and run["dropped_events"] == 0
    result = run["result"]
    events = httpx.get(f"{live_server.url}/api/runs/{run['id']}/events").json()
    assert len(events) == run["event_count"] and [e["seq"] for e in events] == list(range(len(events)))
    # The result tells the story of the events: the increments each worker reported, the final value read.
    story = race_from_events(events)
    assert story["increments"] == {f"Process-{i}": 1000 for i in range(4)}
    assert {k: result[k] for k in ("expected", "actual", "lost")} == {
        k: story[k] for k in ("expected", "actual", "lost")
    }
    if use_lock:
        assert result["lost"] == 0
    tail = httpx.get(
        f"{live_server.url}/api/runs/{run['id']}/events", params={"after": len(events) - 3}
    ).json()
    assert [e["seq"] for e in tail] == [len(events) - 2, len(events) - 1]
    ndjson = httpx.get(
        f"{live_server.url}/api/runs/{run['id']}/events", headers={"Accept": "application/x-ndjson"}
    )
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    assert [jsonio.loads(line) for line in ndjson.content.splitlines()] == events
    assert any(r["id"] == run["id"] for r in httpx.get(f"{live_server.url}/api/runs").json())


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_start_method_is_honoured(live_server: LiveServer, method: str) -> None:
    created = post_run(
        live_server, {"scenario": "race", "params": {"increments": 10}, "start_method": method}
    ).json()
    run = wait_finished(live_server, created["id"])
    assert run["start_method"] == method and run["status"] == "succeeded"
    first = httpx.get(f"{live_server.url}/api/runs/{run['id']}/events").json()[0]
    assert first["kind"] == "run.start" and first["data"]["start_method"] == method


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"scenario": "race", "params": {"workers": 0}}, "workers", "greater than or equal to 1"),
        ({"scenario": "race", "params": {"workers": 10**9}}, "workers", "less than or equal to 16"),
        ({"scenario": "race", "params": {"increments": 100_001}}, "increments", "100000"),
        ({"scenario": "race", "params": {"delay_ms": -1}}, "delay_ms", "greater than or equal to 0"),
        ({"scenario": "race", "params": {"workers": "many"}}, "workers", "integer"),
        ({"scenario": "race", "params": {"rm": "-rf"}}, "rm", "Extra inputs"),
        ({"scenario": "race", "start_method": "vfork"}, "start_method", "forkserver"),
        ({"scenario": "race", "params": []}, "params", "dictionary"),
        ({"params": {}}, "scenario", "Field required"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    live_server: LiveServer, body: dict, field: str, words: str
) -> None:  # type: ignore[type-arg]
    before = len(httpx.get(f"{live_server.url}/api/runs").json())
    response = post_run(live_server, body)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field and words in e["msg"] for e in errors), errors
    assert len(httpx.get(f"{live_server.url}/api/runs").json()) == before  # nothing was started


def test_unknown_things_are_404(live_server: LiveServer) -> None:
    assert post_run(live_server, {"scenario": "nope"}).status_code == 404
    for path in ("/api/runs/ffffffff", "/api/runs/ffffffff/events", "/api/scenarios/nope", "/runs/ffffffff"):
        response = httpx.get(f"{live_server.url}{path}")
        assert response.status_code == 404, path
    assert httpx.post(f"{live_server.url}/api/runs/ffffffff/cancel").status_code == 404


def test_malformed_bodies_are_4xx_never_5xx(live_server: LiveServer) -> None:
    for content in (b"{", b"null", b"[]", b'{"scenario": 5}', b"\xff\xfe", b'{"a":' * 1000):
        response = httpx.post(
            f"{live_server.url}/api/runs", content=content, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (content[:20], response.status_code)
    assert httpx.get(f"{live_server.url}/api/runs/x/events", params={"after": "-5"}).status_code == 422


def test_host_and_origin_are_checked(live_server: LiveServer) -> None:
    # DNS rebinding: a foreign Host is refused on every route.
    assert httpx.get(f"{live_server.url}/api/health", headers={"Host": "evil.example"}).status_code == 400
    # A foreign page cannot start runs ...
    response = httpx.post(
        f"{live_server.url}/api/runs", json={"scenario": "race"}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    # ... while the dashboard's own origin can.
    response = httpx.post(
        f"{live_server.url}/api/runs",
        json={"scenario": "race", "params": {"increments": 5}},
        headers={"Origin": live_server.url},
    )
    assert response.status_code == 201
    wait_finished(live_server, response.json()["id"])


def test_pages_carry_security_headers(live_server: LiveServer) -> None:
    page = httpx.get(f"{live_server.url}/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for path in ("/scenarios/race", "/docs", "/openapi.json"):
        assert httpx.get(f"{live_server.url}{path}").status_code == 200, path


CANCEL_HANG_GUARD_S = 30  # 10x+ a cancel's ~2 s (SIGTERM, 1 s of grace, SIGKILL); hitting it is a bug


def test_cancel_over_rest(live_server: LiveServer) -> None:
    created = post_run(
        live_server, {"scenario": "race", "params": {"workers": 2, "increments": 100, "delay_ms": 200}}
    )
    run_id = created.json()["id"]

    def under_way() -> bool:
        return any(e["kind"] == "value.read" for e in rest_events(live_server.url, run_id))

    wait_until(under_way, EVENTS_HANG_GUARD_S, "the run is under way")
    assert httpx.post(f"{live_server.url}/api/runs/{run_id}/cancel").status_code == 200
    run = wait_finished(live_server, run_id, CANCEL_HANG_GUARD_S)
    assert run["status"] == "cancelled"
    events = rest_events(live_server.url, run_id)
    assert events[-1]["kind"] == "run.end" and events[-1]["data"]["status"] == "cancelled"
    assert sum(1 for e in events if e["kind"] == "value.write") < 2 * 100  # stopped, not finished


def runs(server: LiveServer, **filters: str) -> list[dict[str, Any]]:
    return httpx.get(f"{server.url}/api/runs", params=filters).json()  # type: ignore[no-any-return]


def test_run_list_filters_and_delete(live_server: LiveServer) -> None:
    base = live_server.url
    body = {"scenario": "race", "params": {"workers": 1, "increments": 5}}
    run = wait_finished(live_server, post_run(live_server, body).json()["id"])
    # Something for each filter to keep and to drop: a queue run and a race run that failed (a process
    # killed), and a queue run that succeeded.
    slow_queue = {"producers": 1, "consumers": 1, "items": 50, "maxsize": 2, "consume_ms": 200}
    failed_queue = failed_run(base, "queue", slow_queue, "consumer-0")
    failed_race = failed_run(base, "race", {"workers": 2, "increments": 1000, "delay_ms": 20}, "Process-0")
    quick_queue = {"producers": 1, "consumers": 1, "items": 3, "produce_ms": 0, "consume_ms": 0}
    good_queue = wait_finished(live_server, start_run(base, "queue", **quick_queue))
    assert good_queue["status"] == "succeeded"

    mine = runs(live_server, scenario="race", status="succeeded")
    assert run["id"] in [r["id"] for r in mine] and all(r["scenario"] == "race" for r in mine)
    assert all(r["status"] == "succeeded" for r in mine)
    queue_failed = runs(live_server, scenario="queue", status="failed")
    ids = [r["id"] for r in queue_failed]
    assert failed_queue["id"] in ids and failed_race["id"] not in ids and good_queue["id"] not in ids
    everything = runs(live_server)
    assert queue_failed == [r for r in everything if r["scenario"] == "queue" and r["status"] == "failed"]
    assert failed_race["id"] in [r["id"] for r in runs(live_server, status="failed")]
    assert good_queue["id"] in [r["id"] for r in runs(live_server, scenario="queue")]
    assert httpx.get(f"{live_server.url}/api/runs", params={"status": "sleeping"}).status_code == 422
    # An active run must be cancelled first; a finished one goes, with its events.
    long = post_run(
        live_server, {"scenario": "race", "params": {"workers": 1, "increments": 200, "delay_ms": 50}}
    )
    assert httpx.delete(f"{live_server.url}/api/runs/{long.json()['id']}").status_code == 409
    httpx.post(f"{live_server.url}/api/runs/{long.json()['id']}/cancel")
    wait_finished(live_server, long.json()["id"])
    assert httpx.delete(f"{live_server.url}/api/runs/{run['id']}").status_code == 204
    assert httpx.get(f"{live_server.url}/api/runs/{run['id']}").status_code == 404
    assert httpx.get(f"{live_server.url}/api/runs/{run['id']}/events").status_code == 404
    assert httpx.delete(f"{live_server.url}/api/runs/{run['id']}").status_code == 404
    forbidden = httpx.delete(
        f"{live_server.url}/api/runs/{long.json()['id']}", headers={"Origin": "http://evil.example"}
    )
    assert forbidden.status_code == 403


def test_a_run_records_its_seed(live_server: LiveServer) -> None:
    body = {"scenario": "race", "params": {"workers": 1, "increments": 5}, "seed": 7}
    run = wait_finished(live_server, post_run(live_server, body).json()["id"])
    assert run["seed"] == 7
    assert httpx.get(f"{live_server.url}/api/runs/{run['id']}/events").json()[0]["data"]["seed"] == 7
    bad = post_run(live_server, {**body, "seed": -1})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "seed"
