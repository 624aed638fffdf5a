"""Presenter sessions without HTTP (app/presenter/sessions.py): codes, keys, views, polls, tallies, frames."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app import jsonio
from app.presenter.sessions import (
    ALPHABET,
    CODE_LENGTH,
    PollRefused,
    PollRequest,
    PresenterLimits,
    Presenters,
    TooMany,
    UnknownSession,
    View,
    WrongKey,
)

NUMBER = PollRequest(question="What will the counter be?")


def frames(sub: object) -> list[dict[str, object] | None]:
    return [None if f is None else jsonio.loads(f.json) for f in sub.frames]  # type: ignore[attr-defined]


def test_codes_are_short_unambiguous_and_case_insensitive() -> None:
    p = Presenters(tick_seconds=0)
    codes = {p.create().code for _ in range(30)}
    assert len(codes) == 30
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
        assert not set(code) & set("0O1I")
        assert p.get(code.lower()).code == code
    with pytest.raises(UnknownSession):
        p.get("ZZZZZZ9")


def test_only_the_presenters_key_owns_a_session() -> None:
    p = Presenters(tick_seconds=0)
    s = p.create()
    assert p.owned(s.code, s.key) is s
    for wrong in (None, "", "x" * 24, p.create().key):
        with pytest.raises(WrongKey):
            p.owned(s.code, wrong)


def test_views_are_validated() -> None:
    ok = [
        {"path": "/"},
        {"path": "/runs/3f9a2c1b", "replay": {"state": "paused", "index": 4, "t": 1e6, "speed": 0.5}},
        {"path": "/compare?a=aaaa&b=bbbb", "window": {"t0": -5, "t1": 2e9}},
        {"path": "/scenarios/race", "replay": None, "window": None},
        {"path": "/code/new"},  # Edit and run: the audience sees the program
        {"path": "/code/scenarios/race"},
        {"path": "/code/runs/3f9a2c1b"},
    ]
    for body in ok:
        View.model_validate(body)
    bad = [
        {"path": "https://evil.example/"},
        {"path": "//evil.example"},
        {"path": "/runs/a/../../x"},
        {"path": "/compare?a=x"},
        {"path": "/code/elsewhere"},
        {"path": "/runs/" + "a" * 300},
        {"path": "/", "window": {"t0": 5, "t1": 5}},
        {"path": "/", "window": {"t0": 0, "t1": 1e20}},
        {"path": "/", "replay": {"state": "rewinding"}},
        {"path": "/", "replay": {"state": "paused", "speed": 50}},
        {"path": "/", "extra": 1},
    ]
    for body in bad:
        with pytest.raises(ValidationError):
            View.model_validate(body)


def test_poll_requests_are_validated() -> None:
    PollRequest(question="Which is faster?", kind="choice", choices=["fork", "spawn"])
    for body in (
        {"question": ""},
        {"question": "x" * 201},
        {"question": "q", "kind": "choice", "choices": ["only one"]},
        {"question": "q", "kind": "choice", "choices": [str(i) for i in range(9)]},
        {"question": "q", "kind": "choice", "choices": ["a", "b" * 61]},
        {"question": "q", "kind": "number", "choices": ["a", "b"]},
        {"question": "q", "kind": "essay"},
    ):
        with pytest.raises(ValidationError):
            PollRequest.model_validate(body)


def test_answers_are_tallied_one_per_client_and_hidden_from_the_audience_until_closed() -> None:
    p = Presenters(tick_seconds=0)
    s = p.create()
    audience = p.follow(s, presenter=False, limit_bytes=1 << 20)
    presenter = p.follow(s, presenter=True, limit_bytes=1 << 20)
    poll = p.open_poll(s, NUMBER)
    for client, value in [("c1", 4000), ("c2", 3500), ("c3", 4000), ("c1", 3999.0)]:
        p.answer(s, poll.id, client.ljust(8, "x"), value, "10.0.0.1")
    assert poll.tally() == [[3500, 1], [3999, 1], [4000, 1]]  # c1's second answer replaced its first
    seen = frames(audience)[-1]
    assert seen is not None and seen["poll"] == {**poll.to_dict(False), "tally": None}
    assert seen["poll"]["count"] == 3  # type: ignore[index]
    live = frames(presenter)[-1]
    assert live is not None and live["poll"]["tally"] == [[3500, 1], [3999, 1], [4000, 1]]  # type: ignore[index]
    assert live["followers"] == 1

    p.close_poll(s, 4000.0)
    closed = frames(audience)[-1]
    assert closed is not None and closed["poll"]["tally"] and closed["poll"]["answer"] == 4000  # type: ignore[index]
    with pytest.raises(PollRefused, match="closed"):
        p.answer(s, poll.id, "c4xxxxxx", 1, "10.0.0.1")


def test_stale_polls_and_bad_choices_are_refused() -> None:
    p = Presenters(tick_seconds=0)
    s = p.create()
    with pytest.raises(PollRefused):
        p.answer(s, 1, "c1xxxxxx", 1, "a")
    with pytest.raises(PollRefused):
        p.close_poll(s, None)
    first = p.open_poll(s, NUMBER)
    second = p.open_poll(s, PollRequest(question="Lock or not?", kind="choice", choices=["yes", "no"]))
    with pytest.raises(PollRefused, match="current question"):
        p.answer(s, first.id, "c1xxxxxx", 1, "a")
    for bad in (2, -1, 0.5):
        with pytest.raises(PollRefused, match="choice index"):
            p.answer(s, second.id, "c1xxxxxx", bad, "a")
    p.answer(s, second.id, "c1xxxxxx", 1.0, "a")
    assert second.tally() == [[0, 0], [1, 1]]


def test_answers_are_bounded_per_poll_and_per_address() -> None:
    p = Presenters(
        tick_seconds=0, limits=PresenterLimits(max_answers=3, answer_burst=5, answers_per_second=0)
    )
    s = p.create()
    poll = p.open_poll(s, NUMBER)
    for i in range(3):
        p.answer(s, poll.id, f"client{i:02}", i, f"10.0.0.{i}")
    with pytest.raises(TooMany, match="limit of 3 answers"):
        p.answer(s, poll.id, "client99", 9, "10.0.0.9")
    p.answer(s, poll.id, "client00", 7, "10.0.0.0")  # changing one's answer is not a new one
    for _ in range(5):
        p.answer(s, poll.id, "client01", 1, "10.0.0.5")
    with pytest.raises(TooMany, match="this address"):
        p.answer(s, poll.id, "client01", 1, "10.0.0.5")  # the sixth from one address, with no refill


def test_a_follower_keeps_only_the_newest_frame_and_sessions_are_bounded() -> None:
    p = Presenters(tick_seconds=0, limits=PresenterLimits(max_sessions=2))
    s = p.create()
    sub = p.follow(s, presenter=False, limit_bytes=1 << 20)
    for i in range(50):
        p.show(s, View(path=f"/runs/r{i}"))
    got = frames(sub)
    assert len(got) == 1 and got[0] is not None and got[0]["view"]["path"] == "/runs/r49"  # type: ignore[index]
    busy = p.create()
    p.follow(busy, presenter=True, limit_bytes=1 << 20)
    third = p.create()  # over the limit: the session idle longest without its presenter goes
    assert set(p.sessions) == {busy.code, third.code}
    assert frames(sub)[-1] is None  # its follower was told the stream ended
    p.close()
    assert p.sessions == {} and p.client_count == 0
