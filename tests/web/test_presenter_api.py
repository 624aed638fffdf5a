"""Presenter follow over HTTP and WebSockets against a real server: the presenter's routes, the audience's
stream and poll answers, bad input, unknown codes, and the access rules with presenter and viewer tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from app.frames import decode
from tests.helpers import LiveServer, start_server, stop_server

VIEW = {"path": "/runs/abc123", "replay": {"state": "paused", "index": 7, "t": 123456, "speed": 0.5}}


def present(url: str, client: httpx.Client | None = None) -> dict[str, Any]:
    response = (client or httpx).post(f"{url}/api/present")  # type: ignore[attr-defined]
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def as_presenter(p: dict[str, Any]) -> dict[str, str]:
    return {"X-Presenter-Key": p["key"]}


def send(p: dict[str, Any], url: str, what: str, body: Any, client: Any = httpx) -> httpx.Response:
    """POST /api/present/{code}/{what} as the presenter of `p`."""
    response: httpx.Response = client.post(
        f"{url}/api/present/{p['code']}/{what}", json=body, headers=as_presenter(p)
    )
    return response


FRAME_HANG_GUARD_S = 10  # 10x+ the time a change takes to reach a follower (a tick, well under 1 s)


def next_frame(
    ws: ClientConnection, until: Any = lambda f: True, timeout: float = FRAME_HANG_GUARD_S
) -> dict[str, Any]:
    """The first frame (a JSON object) for which `until` holds; `timeout` is a hang guard."""
    deadline = time.monotonic() + timeout
    while True:
        frame = decode(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if until(frame):
            return frame  # type: ignore[no-any-return]


def closed_with(url: str) -> int | None:
    """The close code of a stream that is closed before its first frame."""
    with connect(url) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
        return ws.close_code


def test_audience_follows_the_presenters_view_and_poll(live_server: LiveServer) -> None:
    url = live_server.url
    p = present(url)
    code = p["code"]
    assert len(code) == 6 and p["join_url"] == f"{url}/join/{code}"
    with (
        connect(f"{live_server.ws_url}/ws/follow/{code.lower()}") as audience,
        connect(f"{live_server.ws_url}/ws/present/{code}?key={p['key']}") as presenter,
    ):
        assert next_frame(audience) == {"code": code, "view": None, "poll": None, "followers": 1}
        assert next_frame(presenter, lambda f: f["followers"] == 1)["view"] is None
        assert httpx.get(f"{url}/api/stats").json()["presentation_clients"] == 2  # counted as viewers are

        assert send(p, url, "view", VIEW).status_code == 204
        seen = next_frame(audience, lambda f: f["view"] is not None)
        assert seen["view"] == {**VIEW, "window": None, "replay": {**VIEW["replay"], "t": 123456.0}}

        asked = httpx.post(
            f"{url}/api/present/{code}/poll", json={"question": "Counter?"}, headers=as_presenter(p)
        )
        assert asked.status_code == 201
        poll = asked.json()["id"]
        for client, value in (("alice-0001", 4000), ("bob-000001", 3100), ("alice-0001", 3900)):
            answer = {"poll": poll, "client": client, "answer": value}
            assert httpx.post(f"{url}/api/follow/{code}/answer", json=answer).status_code == 200
        live = next_frame(presenter, lambda f: f["poll"] and f["poll"]["tally"] == [[3100, 1], [3900, 1]])
        assert live["poll"]["count"] == 2  # alice's second answer replaced her first
        hidden = next_frame(audience, lambda f: f["poll"] and f["poll"]["count"] == 2)
        assert hidden["poll"]["tally"] is None  # no copying the crowd before the poll closes

        closed = httpx.post(
            f"{url}/api/present/{code}/poll/close", json={"answer": 3900}, headers=as_presenter(p)
        )
        assert closed.json()["open"] is False
        shown = next_frame(audience, lambda f: not f["poll"]["open"])
        assert shown["poll"]["tally"] == [[3100, 1], [3900, 1]] and shown["poll"]["answer"] == 3900
        late = {"poll": poll, "client": "carol-0001", "answer": 1}
        assert httpx.post(f"{url}/api/follow/{code}/answer", json=late).status_code == 409

        assert httpx.delete(f"{url}/api/present/{code}", headers=as_presenter(p)).status_code == 204
        with pytest.raises(ConnectionClosed):
            next_frame(audience, lambda f: False)
        assert audience.close_code == 1000
    assert httpx.get(f"{url}/api/follow/{code}").status_code == 404


def test_bad_input_is_refused_naming_the_field_and_unknown_codes_are_404(live_server: LiveServer) -> None:
    url = live_server.url
    p = present(url)
    code = p["code"]
    key = as_presenter(p)
    assert httpx.get(f"{url}/api/follow/NOPE22").status_code == 404
    assert httpx.get(f"{url}/join/NOPE22").status_code == 404
    assert httpx.get(f"{url}/join/{code}").status_code == 200
    assert f'data-follow="{code}"' in httpx.get(f"{url}/join/{code.lower()}").text
    assert httpx.post(f"{url}/api/present/NOPE22/view", json=VIEW, headers=key).status_code == 404
    answer = {"poll": 1, "client": "client-0001", "answer": 1}
    assert httpx.post(f"{url}/api/follow/NOPE22/answer", json=answer).status_code == 404
    assert closed_with(f"{live_server.ws_url}/ws/follow/NOPE22") == 4404
    # Without the key, or with another presentation's, nothing changes.
    other = present(url)
    for headers in ({}, {"X-Presenter-Key": "wrong"}, as_presenter(other)):
        assert httpx.post(f"{url}/api/present/{code}/view", json=VIEW, headers=headers).status_code == 403
        assert httpx.delete(f"{url}/api/present/{code}", headers=headers).status_code == 403

    def refused(path: str, body: Any, field: str, words: str, headers: dict[str, str] | None = None) -> None:
        response = httpx.post(f"{url}{path}", json=body, headers=headers or {})
        assert response.status_code == 422, response.text
        problems = response.json()["detail"]
        assert any(pr["loc"][-1] == field and words in pr["msg"] for pr in problems), problems

    refused(f"/api/present/{code}/view", {"path": "https://evil.example"}, "path", "pattern", key)
    refused(
        f"/api/present/{code}/view",
        {"path": "/", "window": {"t0": 0, "t1": 1e16}},
        "t1",
        "1000000000000000",
        key,
    )
    refused(f"/api/present/{code}/poll", {"question": "q" * 201}, "question", "at most 200 characters", key)
    refused(f"/api/present/{code}/poll", {"question": "q", "choices": ["a"] * 9}, "choices", "at most 8", key)
    assert httpx.post(f"{url}/api/present/{code}/poll/close", json={}, headers=key).status_code == 409
    poll = httpx.post(f"{url}/api/present/{code}/poll", json={"question": "Counter?"}, headers=key).json()[
        "id"
    ]
    path = f"/api/follow/{code}/answer"
    refused(path, {"poll": poll, "client": "short", "answer": 1}, "client", "pattern")
    refused(path, {"poll": poll, "client": "client-0001", "answer": 1e16}, "answer", "1000000000000000")
    refused(path, {"poll": poll, "client": "client-0001", "answer": "NaN"}, "answer", "finite")
    refused(path, {"poll": poll, "client": "client-0001", "answer": 1, "more": 1}, "more", "Extra")
    big = {"poll": poll, "client": "client-0001", "answer": 1, "pad": "x" * 2000}
    too_big = httpx.post(f"{url}{path}", json=big)
    assert too_big.status_code == 413 and "1,024 bytes" in too_big.json()["detail"]
    stale = httpx.post(f"{url}{path}", json={"poll": poll + 1, "client": "client-0001", "answer": 1})
    assert stale.status_code == 409 and "current question" in stale.json()["detail"]


def test_answers_from_one_address_are_rate_limited(tmp_path: Path) -> None:
    # A server of its own: the bucket is per address, and the module's shared server has taken
    # answers from this same address in the tests before (a bucket not yet refilled refused one of
    # the first 20).
    server = start_server(tmp_path, "--no-history")
    try:
        rate_limited_answers(server.url)
    finally:
        stop_server(server)


def rate_limited_answers(url: str) -> None:
    p = present(url)
    code = p["code"]
    poll = httpx.post(
        f"{url}/api/present/{code}/poll", json={"question": "?"}, headers=as_presenter(p)
    ).json()["id"]
    started = time.monotonic()
    codes = [
        httpx.post(
            f"{url}/api/follow/{code}/answer", json={"poll": poll, "client": f"flood-{i:04}", "answer": i}
        ).status_code
        for i in range(60)
    ]
    elapsed = time.monotonic() - started
    # A burst of 20, then a token every 0.2 s: whatever the pace, no more answers get in than the burst
    # plus what the time taken refilled (a slow machine loosens the bound, never breaks it), and at
    # this client's pace (a few ms an answer) most of the other 40 are refused.
    assert set(codes) <= {200, 429} and codes[:20] == [200] * 20
    assert codes.count(200) <= 20 + 5 * elapsed + 1, (codes, elapsed)


def test_origin_is_checked_on_the_follow_socket_and_on_answers(live_server: LiveServer) -> None:
    p = present(live_server.url)
    path = f"{live_server.ws_url}/ws/follow/{p['code']}"
    with pytest.raises(InvalidStatus) as info:
        connect(path, origin="http://evil.example")  # type: ignore[arg-type]
    assert info.value.response.status_code == 403
    with connect(path, origin=live_server.url) as ws:  # type: ignore[arg-type]
        assert next_frame(ws)["code"] == p["code"]
    answer = {"poll": 1, "client": "client-0001", "answer": 1}
    foreign = httpx.post(
        f"{live_server.url}/api/follow/{p['code']}/answer",
        json=answer,
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    assert closed_with(f"{live_server.ws_url}/ws/present/{p['code']}?key=wrong") == 4403


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, "--token", "s3cret", "--viewer-token", "v1ew")
    yield server
    stop_server(server)


def test_with_tokens_the_audience_follows_and_answers_but_cannot_present(guarded: LiveServer) -> None:
    url = guarded.url
    assert httpx.post(f"{url}/api/present").status_code == 401
    with httpx.Client(headers={"Authorization": "Bearer s3cret"}) as presenter:
        p = present(url, presenter)
        code = p["code"]
        assert p["join_url"] == f"{url}/join/{code}?view=v1ew"  # one scan: in, with the viewer token
        assert (
            presenter.post(f"{url}/api/present/{code}/view", json=VIEW, headers=as_presenter(p)).status_code
            == 204
        )
        poll = presenter.post(
            f"{url}/api/present/{code}/poll", json={"question": "?"}, headers=as_presenter(p)
        )
        poll_id = poll.json()["id"]

    with httpx.Client() as stranger:
        assert stranger.get(f"{url}/api/follow/{code}").status_code == 401
        assert stranger.get(f"{url}/join/{code}").status_code == 401
        answer = {"poll": poll_id, "client": "stranger-01", "answer": 1}
        assert stranger.post(f"{url}/api/follow/{code}/answer", json=answer).status_code == 401

    with httpx.Client() as audience:
        joined = audience.get(p["join_url"], follow_redirects=False)
        assert joined.status_code == 303 and joined.headers["location"] == f"/join/{code}"
        assert audience.get(f"{url}/join/{code}").status_code == 200  # the cookie lets it in
        assert audience.get(f"{url}/api/follow/{code}").json()["view"]["path"] == VIEW["path"]
        answer = {"poll": poll_id, "client": "audience-01", "answer": 42}
        assert audience.post(f"{url}/api/follow/{code}/answer", json=answer).status_code == 200
        # ... and it cannot present, change the view, close the poll, or start runs, even with the key.
        assert audience.post(f"{url}/api/present").status_code == 401
        for path, body in (
            (f"/api/present/{code}/view", {"path": "/"}),
            (f"/api/present/{code}/poll/close", {}),
        ):
            assert audience.post(f"{url}{path}", json=body, headers=as_presenter(p)).status_code == 401
        assert audience.delete(f"{url}/api/present/{code}", headers=as_presenter(p)).status_code == 401
        run = {"scenario": "race", "params": {"workers": 2, "increments": 5}}
        assert audience.post(f"{url}/api/runs", json=run).status_code == 401
        cookie = f"mpscope_view={audience.cookies['mpscope_view']}"
    with connect(f"{guarded.ws_url}/ws/follow/{code}", additional_headers={"Cookie": cookie}) as ws:
        assert next_frame(ws)["poll"]["count"] == 1
    with pytest.raises(InvalidStatus):
        connect(f"{guarded.ws_url}/ws/follow/{code}")
