"""Faults with real processes and real signals: a run fails fast and names the culprit; the rest go on."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import pytest

from app.run import Run, RunStatus
from app.runs import RunManager, root_context
from app.runtime import install_pool_worker_handlers
from tests.test_runs import events, finished, with_manager

METHODS = ("forkserver", "spawn", "fork")


async def wait_for(run: Run, predicate: Any, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        evs = events(run)
        if predicate(evs):
            return evs
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


def worker_pids(evs: list[dict[str, Any]]) -> dict[str, int]:
    return {
        e["proc"]: e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"].startswith("Process-")
    }


@pytest.mark.parametrize("method", METHODS)
def test_sigkill_of_a_race_worker_fails_the_run_naming_it(method: str) -> None:
    async def body(m: RunManager) -> tuple[Run, Run, float]:
        bystander = await m.start("race", {"workers": 2, "increments": 30, "delay_ms": 20}, method)
        run = await m.start("race", {"workers": 3, "increments": 1000, "delay_ms": 20}, method)
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 3)
        os.kill(worker_pids(evs)["Process-1"], signal.SIGKILL)
        killed_at = time.monotonic()
        await finished(run, timeout=15)
        took = time.monotonic() - killed_at
        await finished(bystander)
        return run, bystander, took

    run, bystander, took = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "Process-1" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    assert took < 10
    assert bystander.status == RunStatus.SUCCEEDED  # the other run carried on


@pytest.mark.parametrize("method", METHODS)
def test_a_killed_lock_holder_does_not_hang_its_siblings(method: str) -> None:
    async def body(m: RunManager) -> tuple[Run, float]:
        run = await m.start(
            "race", {"workers": 3, "increments": 50, "use_lock": True, "hold_ms": 300}, method
        )

        def someone_holds(evs: list[dict[str, Any]]) -> bool:
            return len(worker_pids(evs)) == 3 and any(e["kind"] == "lock.acquired" for e in evs)

        evs = await wait_for(run, someone_holds)
        holder = [e for e in evs if e["kind"] == "lock.acquired"][-1]
        os.kill(holder["pid"], signal.SIGKILL)  # dies holding the lock: the others wait on it forever
        killed_at = time.monotonic()
        await finished(run, timeout=15)
        return run, time.monotonic() - killed_at

    run, took = with_manager(body)
    assert run.status == RunStatus.FAILED and "SIGKILL" in (run.error or "")
    assert took < 10
    waits = [e for e in events(run) if e["kind"] == "lock.wait"]
    assert waits, "the siblings were waiting for the lock when the holder died"


def test_sigkill_of_the_runs_main_process_fails_the_run_and_reaps_its_workers() -> None:
    async def body(m: RunManager) -> Run:
        run = await m.start("race", {"workers": 3, "increments": 1000, "delay_ms": 20})
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 3)
        main = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == "main")
        os.kill(main, signal.SIGKILL)
        return await finished(run, timeout=15)

    run = with_manager(body)  # the no-orphans fixture checks the workers are gone
    assert run.status == RunStatus.FAILED and "main" in (run.error or "") and "SIGKILL" in (run.error or "")


def test_sigterm_to_one_worker_fails_the_run_but_not_the_manager() -> None:
    async def body(m: RunManager) -> tuple[Run, Run]:
        run = await m.start("race", {"workers": 2, "increments": 1000, "delay_ms": 20})
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 2)
        os.kill(worker_pids(evs)["Process-0"], signal.SIGTERM)
        await finished(run, timeout=15)
        after = await finished(await m.start("race", {"increments": 10}))
        return run, after

    run, after = with_manager(body)
    assert run.status == RunStatus.FAILED and "Process-0" in (run.error or "")
    assert after.status == RunStatus.SUCCEEDED


def lane_pid(evs: list[dict[str, Any]], proc: str) -> int | None:
    return next((e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == proc), None)


async def kill_and_finish(
    m: RunManager, scenario: str, params: dict[str, Any], victim: str, ready: Any, method: str | None = None
) -> tuple[Run, float]:
    run = await m.start(scenario, params, method)
    evs = await wait_for(run, lambda evs: lane_pid(evs, victim) is not None and ready(evs))
    os.kill(lane_pid(evs, victim) or 0, signal.SIGKILL)
    killed_at = time.monotonic()
    await finished(run, timeout=20)
    return run, time.monotonic() - killed_at


@pytest.mark.parametrize("method", METHODS)
def test_killed_queue_consumer_does_not_deadlock_the_producers(method: str) -> None:
    """Producers blocked on a full queue that only the dead consumer drained: the run still ends."""
    params = {"producers": 2, "consumers": 1, "items": 50, "maxsize": 3, "produce_ms": 0, "consume_ms": 200}

    def producers_blocked(evs: list[dict[str, Any]]) -> bool:
        return any(e["kind"] == "queue.wait_put" for e in evs)

    run, took = with_manager(
        lambda m: kill_and_finish(m, "queue", params, "consumer-0", producers_blocked, method)
    )
    assert run.status == RunStatus.FAILED
    assert "consumer-0" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    assert took < 10


@pytest.mark.parametrize("method", METHODS)
def test_killed_manager_server_fails_the_run_naming_it(method: str) -> None:
    params = {"workers": 2, "ops": 200, "delay_ms": 20}

    def calls_under_way(evs: list[dict[str, Any]]) -> bool:
        return sum(1 for e in evs if e["kind"] == "manager.call") >= 4

    run, took = with_manager(
        lambda m: kill_and_finish(m, "manager", params, "manager", calls_under_way, method)
    )
    assert run.status == RunStatus.FAILED
    error = run.error or ""
    assert "Manager" in error and "SIGKILL" in error, error  # the server process, e.g. SyncManager-1:1
    assert took < 10


@pytest.mark.parametrize(("mode", "victim"), [("ping-pong", "pong"), ("one-way", "receiver")])
def test_killed_pipe_end_fails_the_run(mode: str, victim: str) -> None:
    params = {"mode": mode, "messages": 500, "delay_ms": 20}

    def talking(evs: list[dict[str, Any]]) -> bool:
        return sum(1 for e in evs if e["kind"] == "pipe.recv") >= 2

    run, took = with_manager(lambda m: kill_and_finish(m, "pipe", params, victim, talking))
    assert run.status == RunStatus.FAILED
    assert victim in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    assert took < 10


@pytest.mark.parametrize("method", METHODS)
def test_killed_pool_worker_fails_the_run_instead_of_hanging(method: str) -> None:
    """CPython issue 96062: Pool.map waits forever for a task whose worker was killed."""
    params = {"processes": 2, "n": 20, "sleep_ms": 300}

    def tasks_running(evs: list[dict[str, Any]]) -> bool:
        return sum(1 for e in evs if e["kind"] == "pool.task.start") >= 2

    async def body(m: RunManager) -> tuple[Run, float]:
        run = await m.start("pool", params, method)
        evs = await wait_for(run, tasks_running)
        busy = next(e["pid"] for e in evs if e["kind"] == "pool.task.start")
        os.kill(busy, signal.SIGKILL)
        killed_at = time.monotonic()
        await finished(run, timeout=20)
        return run, time.monotonic() - killed_at

    run, took = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "PoolWorker" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    assert took < 10


@pytest.mark.parametrize("method", METHODS)
def test_a_process_killed_holding_the_queue_lock_still_fails_the_run_fast(method: str) -> None:
    """Found by CI: SIGKILL while a feeder thread held the run queue's write lock left the main
    process hanging at exit (the stdlib joins its feeder). The run must still end within seconds,
    naming the process and the signal (the error comes through shared memory)."""

    async def body(m: RunManager) -> tuple[Run, float]:
        started = time.monotonic()
        run = await finished(await m.start("test-wedge", {"workers": 2}, method), timeout=30)
        return run, time.monotonic() - started

    run, took = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "wedge-0" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    assert took < 15


# Expected: a SIGTERMed worker is gone within milliseconds. Only a hang would take this long.
SIGTERM_HANG_GUARD = 10.0


def blocked_pool_worker(lock: Any, ready: Any) -> None:
    install_pool_worker_handlers()
    ready.set()
    lock.acquire()  # the parent holds it: waits, as an idle Pool worker waits for its task queue
    time.sleep(60)  # (should it win the lock after all: SIGTERM must end this too)


def test_sigterm_ends_a_pool_worker_whose_lock_was_taken_back_as_it_woke() -> None:
    """Pool.terminate() takes the read lock of its task queue, which idle workers wait for, keeps it,
    SIGTERMs the workers and joins them with no timeout. A worker that SIGTERM reached just as a release
    of that lock had woken it, and the lock had been taken back, missed it: its Python handler never
    ran, and the run hung until its time limit. Here the parent releases the lock and takes it back at
    once, again and again: however the SIGTERM lands, the worker leaves (143: through SystemExit)."""
    mp = root_context()
    for _ in range(10):
        lock, ready = mp.Lock(), mp.Event()
        lock.acquire()
        worker = mp.Process(target=blocked_pool_worker, args=(lock, ready))
        worker.start()
        assert ready.wait(SIGTERM_HANG_GUARD)
        time.sleep(0.1)  # asleep in the lock's wait by now
        lock.release()  # wakes it ...
        lock.acquire(timeout=0.5)  # ... and takes the lock back before it could run (mostly)
        os.kill(worker.pid or 0, signal.SIGTERM)
        worker.join(SIGTERM_HANG_GUARD)
        hung = worker.is_alive()
        if hung:
            worker.kill()
            worker.join()
        assert not hung and worker.exitcode == 128 + signal.SIGTERM, worker.exitcode
