"""The pool scenario: tasks spread over a fixed set of workers; results come back per the method."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest
from app.scenarios.pool import PoolParams
from tests.helpers import METHODS, events, start_and_finish, with_manager
from tests.plugins import TEST_REGISTRY

POOL = TEST_REGISTRY["pool"]
TUTORIAL_SHORT = {**POOL.presets["tutorial"], "sleep_ms": 100}


def run_pool(params: dict[str, Any], method: str | None = None) -> tuple[Run, list[dict[str, Any]]]:
    run = with_manager(lambda m: start_and_finish(m, "pool", params, method))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run, events(run)


def workers_seen(evs: list[dict[str, Any]]) -> dict[str, int]:
    return {
        e["proc"]: e["pid"]
        for e in evs
        if e["kind"] == "process.start" and e["data"].get("role") == "pool worker"
    }


def check_stream(run: Run, evs: list[dict[str, Any]]) -> None:
    """What every pool run must show: each task once, on the worker the result names, results in."""
    n = run.params["n"]
    result = run.result
    assert result["results"] == [i * i for i in range(n)]
    assert sorted(result["result_order"]) == list(range(n))
    tasks = sorted(t for ts in result["tasks_by_worker"].values() for t in ts)
    assert tasks == list(range(n))

    starts = [e for e in evs if e["kind"] == "pool.task.start"]
    ends = [e for e in evs if e["kind"] == "pool.task.end"]
    assert sorted(e["data"]["task"] for e in starts) == list(range(n))
    assert sorted(e["data"]["task"] for e in ends) == list(range(n))
    by_worker: dict[str, list[int]] = {}
    for e in starts:
        by_worker.setdefault(e["proc"], []).append(e["data"]["task"])
        assert e["data"]["arg"] == e["data"]["task"]
        assert e["data"]["chunk"] == e["data"]["task"] // result["chunksize"]
    assert {k: sorted(v) for k, v in by_worker.items()} == result["tasks_by_worker"]
    assert all(e["data"]["result"] == e["data"]["task"] ** 2 for e in ends)

    # The main process reports each result as it reaches it, in result_order, after its task ended.
    got = [e for e in evs if e["kind"] == "pool.result"]
    assert all(e["proc"] == "main" for e in got)
    assert [e["data"]["task"] for e in got] == result["result_order"]
    assert [e["data"]["position"] for e in got] == list(range(n))
    end_t = {e["data"]["task"]: e["t"] for e in ends}
    assert all(e["t"] > end_t[e["data"]["task"]] for e in got)

    # Every pool worker has a lane, and each one reported its (clean) exit.
    workers = workers_seen(evs)
    assert set(by_worker) <= set(workers)
    exits = {e["proc"]: e["data"]["exitcode"] for e in evs if e["kind"] == "process.exit"}
    assert {name: exits.get(name) for name in workers} == dict.fromkeys(workers, 0)
    assert len(workers) + 1 <= POOL.processes(PoolParams(**run.params))


@pytest.mark.parametrize("method", METHODS)
def test_tutorial_map_returns_the_squares_in_order(method: str) -> None:
    run, evs = run_pool(TUTORIAL_SHORT, method)
    check_stream(run, evs)
    assert run.result["results"] == [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]
    assert run.result["result_order"] == list(range(10))
    assert len(workers_seen(evs)) == 4
    logs = sorted(e["data"]["msg"] for e in evs if e["kind"] == "log")
    assert logs == sorted(f"進程 {i} 啟動" for i in range(10))
    # map hands results back only when all are done: every pool.result comes after the last task's end.
    last_end = max(e["t"] for e in evs if e["kind"] == "pool.task.end")
    assert min(e["t"] for e in evs if e["kind"] == "pool.result") > last_end


@pytest.mark.parametrize("method", METHODS)
def test_defaults(method: str) -> None:
    run, evs = run_pool({"sleep_ms": 20}, method)
    check_stream(run, evs)


def test_imap_unordered_returns_in_finishing_order_and_imap_in_task_order() -> None:
    # imap gives task order whatever the finishing order; imap_unordered gives finishing order.
    params = {"processes": 4, "n": 12, "sleep_ms": 30, "chunksize": 1, "maxtasksperchild": 0}
    run, evs = run_pool({**params, "method": "imap"})
    check_stream(run, evs)
    assert run.result["result_order"] == list(range(12))
    run, evs = run_pool({**params, "method": "imap_unordered", "uneven": True, "sleep_ms": 60})
    check_stream(run, evs)
    assert run.result["result_order"] != list(range(12))  # task 3 (60 ms) beats task 1 (120 ms)
    ends = sorted((e for e in evs if e["kind"] == "pool.task.end"), key=lambda e: e["t"])
    # Results reach the main process in the order the tasks finished (pipes keep each worker's order).
    order = run.result["result_order"]
    for worker in run.result["tasks_by_worker"].values():
        mine = [t for t in order if t in worker]
        assert mine == [e["data"]["task"] for e in ends if e["data"]["task"] in worker]


@pytest.mark.parametrize("method", METHODS)
def test_maxtasksperchild_replaces_workers(method: str) -> None:
    params = {"processes": 2, "n": 8, "sleep_ms": 10, "chunksize": 1, "method": "imap", "maxtasksperchild": 2}
    run, evs = run_pool(params, method)
    check_stream(run, evs)
    workers = workers_seen(evs)
    assert len(workers) > 2  # fresh workers replaced the ones that ran 2 tasks
    assert all(len(tasks) <= 2 for tasks in run.result["tasks_by_worker"].values())
    assert POOL.processes(PoolParams(**params)) == 1 + 2 + 8 // 2


def test_chunks_go_to_one_worker_each() -> None:
    run, evs = run_pool({"processes": 3, "n": 20, "sleep_ms": 0, "chunksize": 5, "method": "imap"})
    check_stream(run, evs)
    chunk_workers: dict[int, set[str]] = {}
    for e in evs:
        if e["kind"] == "pool.task.start":
            chunk_workers.setdefault(e["data"]["chunk"], set()).add(e["proc"])
    assert sorted(chunk_workers) == [0, 1, 2, 3] and all(len(w) == 1 for w in chunk_workers.values())


def test_bad_params_and_too_many_processes_are_refused() -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as info:
            await m.start("pool", {"processes": 9})
        (error,) = info.value.errors
        assert error["loc"] == ["body", "params", "processes"] and "8" in error["msg"]
        with pytest.raises(InvalidRequest) as info:
            await m.start("pool", {"method": "starmap"})
        assert info.value.errors[0]["loc"] == ["body", "params", "method"]
        # 200 one-task chunks, a new worker after each: up to 1 + 4 + 200 processes, over the limit of 32.
        with pytest.raises(InvalidRequest) as info:
            await m.start("pool", {"n": 200, "chunksize": 1, "maxtasksperchild": 1})
        assert "205 processes" in info.value.errors[0]["msg"] and "32" in info.value.errors[0]["msg"]
        assert m.book.runs == {}

    with_manager(body)
