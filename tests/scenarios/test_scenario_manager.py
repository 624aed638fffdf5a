"""The manager scenario: a server process of its own, every proxy call a round trip, nothing missing."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, start_and_finish, with_manager
from tests.plugins import TEST_REGISTRY

PRESET = TEST_REGISTRY["manager"].presets


def run_manager(params: dict[str, Any], method: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    run = with_manager(lambda m: start_and_finish(m, "manager", params, method))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run.result, events(run)


def assert_manager_concept(result: dict[str, Any], evs: list[dict[str, Any]], workers: int, ops: int) -> None:
    items = {f"w{i}-{n}" for i in range(workers) for n in range(ops)}
    assert sorted(result["list"]) == sorted(items)  # every appended item, once
    assert result["dict"] == {f"w{i}-{n}": n for i in range(workers) for n in range(ops)}
    # The manager's server is a process of its own, with a lane that starts and exits.
    (start,) = [e for e in evs if e["kind"] == "process.start" and e["data"].get("role") == "manager"]
    assert start["proc"] == "manager"
    (exit_,) = [e for e in evs if e["kind"] == "process.exit" and e["pid"] == start["pid"]]
    assert exit_["proc"] == "manager" and exit_["data"]["exitcode"] == 0
    calls = [e for e in evs if e["kind"] == "manager.call"]
    assert len(calls) == 2 * workers * ops
    assert {e["data"]["server"] for e in calls} == {start["pid"]}  # every call went to that server
    methods = {(e["data"]["target"], e["data"]["method"]) for e in calls}
    assert methods == {("list", "append"), ("dict", "__setitem__")}
    assert all(e["data"]["us"] > 0 for e in calls)
    assert {e["data"]["arg"] for e in calls if e["data"]["target"] == "list"} == items
    writes = [e for e in evs if e["kind"] == "value.write"]
    assert sorted(e["data"]["value"] for e in writes) == list(range(1, workers * ops + 1))
    assert result["proxy_call_us_p50"] > 0 and result["value_op_us_p50"] > 0


@pytest.mark.parametrize("method", METHODS)
def test_tutorial_preset(method: str) -> None:
    params = {**PRESET["tutorial"], "delay_ms": 10}
    result, evs = run_manager(params, method)
    assert_manager_concept(result, evs, 2, 5)
    lanes = {e["proc"] for e in evs if e["kind"] == "process.start"}
    assert lanes == {"main", "manager", "worker-0", "worker-1"}


@pytest.mark.parametrize("method", METHODS)
def test_defaults_and_every_proxy_call_is_a_round_trip_to_the_server(method: str) -> None:
    result, evs = run_manager({"delay_ms": 0, "ops": 40}, method)
    assert_manager_concept(result, evs, 3, 40)
    # Each proxy call went from a worker to the manager's server, another process; each value op
    # stayed in the worker (shared memory, no server). What they cost is the lesson's timing, shown in
    # the view; here, the result's medians must be those of the costs the events report, call by call.
    server = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == "manager")
    calls = [e for e in evs if e["kind"] == "manager.call"]
    assert all(e["pid"] != server and e["proc"].startswith("worker-") for e in calls)
    writes = [e for e in evs if e["kind"] == "value.write"]
    assert len(writes) == 3 * 40 and all("server" not in e["data"] for e in writes)
    assert result["proxy_call_us_p50"] == statistics.median(e["data"]["us"] for e in calls)
    assert result["value_op_us_p50"] == statistics.median(e["data"]["us"] for e in writes)


def test_bad_params_name_the_field() -> None:
    async def body(m: Engine) -> None:
        for field, value in (("workers", 9), ("ops", 0), ("ops", 1001)):
            with pytest.raises(InvalidRequest) as info:
                await m.start("manager", {field: value})
            assert info.value.errors[0]["loc"][-1] == field

    with_manager(body)
