"""The executor scenario: ProcessPoolExecutor and Pool give the same results; when a worker dies the
executor raises BrokenProcessPool quickly, while the Pool's result never comes (its wait is bounded)."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, finished, with_manager
from tests.plugins import TEST_REGISTRY

PRESETS = TEST_REGISTRY["executor"].presets
FAST = {"tasks": 6, "workers": 2, "task_ms": 50, "pool_timeout_ms": 1500}


def run_executor(params: dict[str, Any], method: str) -> Run:
    async def body(m: Engine) -> Run:
        return await finished(await m.start("executor", params, method), timeout=60)

    run = with_manager(body)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run


def phases(evs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["data"]["phase"]: e for e in evs if e["kind"] == "phase.end"}


def roles(evs: list[dict[str, Any]]) -> dict[int, str]:
    return {e["pid"]: e["data"].get("role", "") for e in evs if e["kind"] == "process.start"}


@pytest.mark.parametrize("method", METHODS)
def test_both_pools_give_the_same_results(method: str) -> None:
    p = {**PRESETS["tutorial"], **FAST}
    run = run_executor(p, method)
    squares = [n * n for n in range(p["tasks"])]
    assert run.result == {
        "executor": {"results": squares},
        "pool": {"results": squares},
        "broken_pool": False,
        "killed_task": None,
    }
    evs = events(run)
    role = roles(evs)
    for which in ("executor worker", "pool worker"):
        ends = [e for e in evs if e["kind"] == "pool.task.end" and role.get(e["pid"]) == which]
        assert sorted(e["data"]["task"] for e in ends) == list(range(p["tasks"])), which
        workers = [pid for pid, r in role.items() if r == which]
        assert 1 <= len(workers) <= p["workers"]
    exits = [e["data"]["exitcode"] for e in evs if e["kind"] == "process.exit"]
    assert exits and set(exits) == {0}


# From a worker's death to the executor's BrokenProcessPool takes 0.1-0.3 s, even on a loaded machine
# (measured from the event stream: worker start-up, seconds under spawn, is not counted). Only an
# executor that waited for something (a hang, or a timeout like the Pool's) would take this long.
EXECUTOR_HANG_GUARD_S = 4.0


@pytest.mark.parametrize("method", METHODS)
def test_a_dead_worker_breaks_the_executor_fast_and_the_pool_waits_until_its_timeout(method: str) -> None:
    p = {**PRESETS["a worker dies"], **FAST}
    run = run_executor(p, method)
    r = run.result
    doomed = p["tasks"] // 2
    assert r["broken_pool"] is True and r["killed_task"] == doomed
    assert r["executor"]["error"].startswith("BrokenProcessPool")
    assert r["pool"]["error"].startswith("timed out")
    evs = events(run)
    ph = phases(evs)
    role = roles(evs)
    death: dict[str, dict[str, Any]] = {}
    for which in ("executor worker", "pool worker"):
        # The doomed task started in each pool and never ended; its worker left with exit code 1.
        starts = [e for e in evs if e["kind"] == "pool.task.start" and role.get(e["pid"]) == which]
        ends = [e for e in evs if e["kind"] == "pool.task.end" and role.get(e["pid"]) == which]
        assert doomed in [e["data"]["task"] for e in starts], f"{which}s started no task {doomed}"
        assert doomed not in [e["data"]["task"] for e in ends]
        exits = [e for e in evs if e["kind"] == "process.exit" and role.get(e["pid"]) == which]
        (death[which],) = [e for e in exits if e["data"]["exitcode"] == 1]
    # The executor fails fast: its BrokenProcessPool comes after its worker's death, with no timeout of
    # its own to wait for; the Pool's phase, after its own worker's death, ends only with its timeout.
    executor_death, pool_death = death["executor worker"], death["pool worker"]
    assert executor_death["seq"] < ph["executor"]["seq"] < pool_death["seq"] < ph["pool"]["seq"]
    assert (ph["executor"]["t"] - executor_death["t"]) / 1e9 < EXECUTOR_HANG_GUARD_S
    # get(timeout=...) waits that long at least: a lower bound, which no load can break.
    assert ph["pool"]["data"]["seconds"] >= p["pool_timeout_ms"] / 1000
    # The Pool replaced its dead worker (as its parent sees it: on a loaded machine the new worker may
    # still be starting up, with no lane yet, when the timeout comes) and finished every other task;
    # the lost task's result never came.
    (replaced,) = [e for e in evs if e["kind"] == "log" and "replaced" in e["data"]]
    assert replaced["data"]["replaced"] == [pool_death["pid"]] and len(replaced["data"]["by"]) == 1
    assert pool_death["seq"] < replaced["seq"] < ph["pool"]["seq"]
    pool_workers = [pid for pid, r in role.items() if r == "pool worker"]
    assert len(pool_workers) <= p["workers"] + 1
    pool_ends = {e["data"]["task"] for e in evs if e["kind"] == "pool.task.end" and e["pid"] in pool_workers}
    assert pool_ends == set(range(p["tasks"])) - {doomed}


@pytest.mark.parametrize("method", METHODS)
def test_defaults(method: str) -> None:
    run = run_executor({"task_ms": 20}, method)
    assert run.result["executor"] == run.result["pool"] == {"results": [n * n for n in range(6)]}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"workers": 5}, "workers"), ({"tasks": 0}, "tasks"), ({"pool_timeout_ms": 1}, "pool_timeout_ms")],
)
def test_bad_params_are_refused_naming_the_field(params: dict[str, Any], field: str) -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as exc:
            await m.start("executor", params)
        assert exc.value.errors[0]["loc"] == ["body", "params", field]

    with_manager(body)
