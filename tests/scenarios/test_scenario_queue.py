"""The queue scenario: producers and consumers pass every item exactly once, and a full queue blocks."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, start_and_finish, with_manager
from tests.plugins import TEST_REGISTRY

PRESET = TEST_REGISTRY["queue"].presets


def run_queue(params: dict[str, Any], method: str) -> tuple[Any, list[dict[str, Any]]]:
    run = with_manager(lambda m: start_and_finish(m, "queue", params, method))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run.result, events(run)


def assert_every_item_once(result: dict[str, Any], evs: list[dict[str, Any]], params: dict[str, Any]) -> None:
    p = {**TEST_REGISTRY["queue"].Params().model_dump(), **params}
    total = p["producers"] * p["items"]
    assert result["produced"] == result["consumed"] == total
    assert result["lost"] == [] and result["duplicated"] == []
    puts = Counter(e["data"]["item"] for e in evs if e["kind"] == "queue.put")
    gets = Counter(e["data"]["item"] for e in evs if e["kind"] == "queue.get")
    consumers = sum(1 for e in evs if e["kind"] == "process.start" and e["proc"].startswith("consumer-"))
    assert puts.pop(None) == gets.pop(None) == consumers  # one sentinel per consumer, put by main
    assert puts == gets and set(puts.values()) == {1}  # every item put once and got once
    assert len(puts) == total
    depths = [e["data"]["depth"] for e in evs if e["kind"] in ("queue.put", "queue.get")]
    assert 0 <= min(depths) and max(depths) <= p["maxsize"] and 1 <= result["max_depth"] <= p["maxsize"]


@pytest.mark.parametrize("method", METHODS)
def test_tutorial_preset_passes_every_item_once(method: str) -> None:
    params = PRESET["tutorial"]
    result, evs = run_queue(params, method)
    assert_every_item_once(result, evs, params)
    lanes = {e["proc"] for e in evs if e["kind"] == "process.start"}
    assert lanes == {"main", "producer-0", "consumer-0"}
    # One producer's items come out in the order they went in (a queue is FIFO).
    got = [e["data"]["item"] for e in sorted(evs, key=lambda e: e["t"]) if e["kind"] == "queue.get"]
    assert got[:5] == [f"p0-{n}" for n in range(5)]


@pytest.mark.parametrize("method", METHODS)
def test_defaults_and_backpressure_block_the_producers_on_a_full_queue(method: str) -> None:
    result, evs = run_queue({"items": 6}, method)
    assert_every_item_once(result, evs, {"items": 6})

    params = {**PRESET["backpressure"], "items": 5, "consume_ms": 60}
    result, evs = run_queue(params, method)
    assert_every_item_once(result, evs, params)
    assert result["max_depth"] == params["maxsize"]  # the queue filled up ...
    waits = [e for e in evs if e["kind"] == "queue.wait_put"]
    assert waits and all(e["proc"].startswith("producer-") or e["proc"] == "main" for e in waits)
    # ... and each blocked put ends in that process's next put, once a consumer made room.
    for w in waits:
        after = [e for e in evs if e["pid"] == w["pid"] and e["t"] >= w["t"] and e["kind"] == "queue.put"]
        assert after, w
    depths = [e["data"]["depth"] for e in evs if e["kind"] == "queue.put"]
    assert max(depths) <= params["maxsize"]


def test_slow_producer_leaves_consumers_waiting_on_an_empty_queue() -> None:
    params = {**PRESET["hungry consumers"], "items": 4, "produce_ms": 60}
    result, evs = run_queue(params, "fork")
    assert_every_item_once(result, evs, params)
    waits = [e for e in evs if e["kind"] == "queue.wait_get"]
    assert {e["proc"] for e in waits} == {"consumer-0", "consumer-1", "consumer-2"}


def test_bad_params_name_the_field() -> None:
    async def body(m: Engine) -> None:
        for field, value in (("maxsize", 0), ("producers", 9), ("items", 10_001)):
            with pytest.raises(InvalidRequest) as info:
                await m.start("queue", {field: value})
            assert info.value.errors[0]["loc"][-1] == field

    with_manager(body)
