"""The pipe scenario: two processes, every message sent is received, ping-pong measures round trips."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, start_and_finish, with_manager
from tests.plugins import TEST_REGISTRY

PRESET = TEST_REGISTRY["pipe"].presets


def run_pipe(params: dict[str, Any], method: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run = with_manager(lambda m: start_and_finish(m, "pipe", params, method))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run.result, events(run)


def msgs(evs: list[dict[str, Any]], kind: str, proc: str) -> list[Any]:
    return [
        e["data"]["msg"] for e in sorted(evs, key=lambda e: e["t"]) if e["kind"] == kind and e["proc"] == proc
    ]


def first(evs: list[dict[str, Any]], kind: str, proc: str, msg: int) -> int:
    return next(e["t"] for e in evs if e["kind"] == kind and e["proc"] == proc and e["data"]["msg"] == msg)


@pytest.mark.parametrize("method", METHODS)
def test_tutorial_preset_one_way_from_sender_to_receiver(method: str) -> None:
    result, evs = run_pipe({**PRESET["tutorial"], "delay_ms": 20}, method)
    assert result["mode"] == "one-way"
    assert result["sent"] == result["received"] == 5
    assert result["round_trip_us_p50"] is None and result["one_way_us_p50"] > 0
    assert msgs(evs, "pipe.send", "sender") == msgs(evs, "pipe.recv", "receiver") == list(range(5))
    # One-way: the receiver never sends, the sender never receives.
    assert msgs(evs, "pipe.recv", "sender") == msgs(evs, "pipe.send", "receiver") == []
    for n in range(5):  # sent (reported just before) before received (reported just after)
        assert first(evs, "pipe.send", "sender", n) < first(evs, "pipe.recv", "receiver", n)


@pytest.mark.parametrize("method", METHODS)
def test_defaults_ping_pong_every_message_comes_back(method: str) -> None:
    result, evs = run_pipe({"delay_ms": 10}, method)
    assert result["mode"] == "ping-pong"
    assert result["sent"] == result["received"] == result["replies"] == 10
    assert 0 < result["round_trip_us_p50"] < 1_000_000
    assert msgs(evs, "pipe.send", "ping") == msgs(evs, "pipe.recv", "pong") == list(range(10))
    assert msgs(evs, "pipe.send", "pong") == msgs(evs, "pipe.recv", "ping") == list(range(10))
    for n in range(10):  # ping -> pong -> ping, in that order on the shared clock
        t = [first(evs, "pipe.send", "ping", n), first(evs, "pipe.recv", "pong", n)]
        t += [first(evs, "pipe.send", "pong", n), first(evs, "pipe.recv", "ping", n)]
        assert t == sorted(t), n
    lanes = {e["proc"] for e in evs if e["kind"] == "process.start"}
    assert lanes == {"main", "ping", "pong"}


def test_bad_params_name_the_field() -> None:
    async def body(m: Engine) -> None:
        for field, value in (("mode", "both-ways"), ("messages", 0), ("delay_ms", -1)):
            with pytest.raises(InvalidRequest) as info:
                await m.start("pipe", {field: value})
            assert info.value.errors[0]["loc"][-1] == field

    with_manager(body)
