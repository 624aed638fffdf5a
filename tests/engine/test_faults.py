"""Faults with real processes and real signals: a run fails fast and names the culprit; the rest go on."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.util import Finalize
from typing import Any

import psutil
import pytest

from app.engine.engine import Engine
from app.engine.launcher import root_context
from app.engine.run import Run, RunStatus
from app.lesson.signals import STACKS_SIGNAL, install_pool_worker_handlers
from tests.helpers import METHODS, events, finished, wait_for_events, with_manager

# From a kill to the run's end takes ~1-2 s (the main process notices the death, reports it, kills the
# rest; the server's reaping gives SIGTERM 1 s of grace). The guard is 10x+ that: hitting it is a bug,
# not slowness. Whether the run failed fast is told by the stream: the siblings did not get to finish.
FAULT_HANG_GUARD_S = 30


async def wait_for(run: Run, predicate: Any) -> list[dict[str, Any]]:
    return await wait_for_events(run, predicate, "the run got to the point of the fault")


def count(evs: list[dict[str, Any]], kind: str) -> int:
    return sum(1 for e in evs if e["kind"] == kind)


def assert_died_first(evs: list[dict[str, Any]], victim: str, code: int = -signal.SIGKILL) -> None:
    """The stream's order: the victim's exit (with the signal's exit code) before the run's error, and
    the run's end last: the run failed because of the death, as it happened."""
    kinds = [(e["kind"], e["proc"]) for e in evs]
    exits = [i for i, e in enumerate(evs) if e["kind"] == "process.exit" and e["proc"] == victim]
    tail = [
        (e["seq"], e["kind"], e["proc"], e["data"].get("exitcode", e["data"].get("error"))) for e in evs[-12:]
    ]
    assert exits and evs[exits[0]]["data"]["exitcode"] == code, ([evs[i] for i in exits], tail)
    assert ("run.error", "main") in kinds and exits[0] < kinds.index(("run.error", "main")), kinds[-10:]
    assert evs[-1]["kind"] == "run.end" and evs[-1]["data"]["status"] == "failed"


def worker_pids(evs: list[dict[str, Any]]) -> dict[str, int]:
    return {
        e["proc"]: e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"].startswith("Process-")
    }


@pytest.mark.parametrize("method", METHODS)
def test_sigkill_of_a_race_worker_fails_the_run_naming_it(method: str) -> None:
    async def body(m: Engine) -> tuple[Run, Run]:
        bystander = await m.start("race", {"workers": 2, "increments": 30, "delay_ms": 20}, method)
        run = await m.start("race", {"workers": 3, "increments": 1000, "delay_ms": 20}, method)
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 3)
        os.kill(worker_pids(evs)["Process-1"], signal.SIGKILL)
        await finished(run, FAULT_HANG_GUARD_S)
        await finished(bystander)
        return run, bystander

    run, bystander = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "Process-1" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    evs = events(run)
    assert_died_first(evs, "Process-1")
    assert count(evs, "value.write") < 3 * 1000  # the siblings were stopped, not waited for (~20 s more)
    assert bystander.status == RunStatus.SUCCEEDED  # the other run carried on
    assert count(events(bystander), "value.write") == 2 * 30


@pytest.mark.parametrize("method", METHODS)
def test_a_killed_lock_holder_does_not_hang_its_siblings(method: str) -> None:
    async def body(m: Engine) -> tuple[Run, str]:
        run = await m.start(
            "race", {"workers": 3, "increments": 50, "use_lock": True, "hold_ms": 300}, method
        )

        def someone_holds(evs: list[dict[str, Any]]) -> bool:
            return len(worker_pids(evs)) == 3 and any(e["kind"] == "lock.acquired" for e in evs)

        evs = await wait_for(run, someone_holds)
        holder = [e for e in evs if e["kind"] == "lock.acquired"][-1]
        os.kill(holder["pid"], signal.SIGKILL)  # dies holding the lock: the others wait on it forever
        await finished(run, FAULT_HANG_GUARD_S)
        return run, holder["proc"]

    run, holder = with_manager(body)
    assert run.status == RunStatus.FAILED and "SIGKILL" in (run.error or "")
    evs = events(run)
    assert_died_first(evs, holder)
    waits = [e for e in evs if e["kind"] == "lock.wait"]
    assert waits, "the siblings were waiting for the lock when the holder died"
    assert count(evs, "value.write") < 3 * 50  # the siblings did not go on for their ~45 s of holds


def test_sigkill_of_the_runs_main_process_fails_the_run_and_reaps_its_workers() -> None:
    async def body(m: Engine) -> Run:
        run = await m.start("race", {"workers": 3, "increments": 1000, "delay_ms": 20})
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 3)
        main = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == "main")
        os.kill(main, signal.SIGKILL)
        return await finished(run, FAULT_HANG_GUARD_S)

    run = with_manager(body)  # the no-orphans fixture checks the workers are gone
    assert run.status == RunStatus.FAILED and "main" in (run.error or "") and "SIGKILL" in (run.error or "")


def test_sigterm_to_one_worker_fails_the_run_but_not_the_manager() -> None:
    async def body(m: Engine) -> tuple[Run, Run]:
        run = await m.start("race", {"workers": 2, "increments": 1000, "delay_ms": 20})

        # Past the start gate: a SIGTERM in the gate's Barrier lands in its Condition, whose wait has let
        # the lock go; the `with` then fails to release it (AssertionError) and the worker exits 1.
        def writing(evs: list[dict[str, Any]]) -> bool:
            return len(worker_pids(evs)) == 2 and any(
                e["kind"] == "value.write" and e["proc"] == "Process-0" for e in evs
            )

        evs = await wait_for(run, writing)
        os.kill(worker_pids(evs)["Process-0"], signal.SIGTERM)
        await finished(run, FAULT_HANG_GUARD_S)
        after = await finished(await m.start("race", {"increments": 10}))
        return run, after

    run, after = with_manager(body)
    assert run.status == RunStatus.FAILED and "Process-0" in (run.error or "")
    assert_died_first(events(run), "Process-0", 128 + signal.SIGTERM)  # its handler exits 128+N
    assert after.status == RunStatus.SUCCEEDED


def lane_pid(evs: list[dict[str, Any]], proc: str) -> int | None:
    return next((e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == proc), None)


async def kill_and_finish(
    m: Engine, scenario: str, params: dict[str, Any], victim: str, ready: Any, method: str | None = None
) -> Run:
    run = await m.start(scenario, params, method)
    evs = await wait_for(run, lambda evs: lane_pid(evs, victim) is not None and ready(evs))
    os.kill(lane_pid(evs, victim) or 0, signal.SIGKILL)
    return await finished(run, FAULT_HANG_GUARD_S)


@pytest.mark.parametrize("method", METHODS)
def test_killed_queue_consumer_does_not_deadlock_the_producers(method: str) -> None:
    """Producers blocked on a full queue that only the dead consumer drained: the run still ends."""
    params = {"producers": 2, "consumers": 1, "items": 50, "maxsize": 3, "produce_ms": 0, "consume_ms": 200}

    def producers_blocked(evs: list[dict[str, Any]]) -> bool:
        return any(e["kind"] == "queue.wait_put" for e in evs)

    run = with_manager(lambda m: kill_and_finish(m, "queue", params, "consumer-0", producers_blocked, method))
    assert run.status == RunStatus.FAILED
    assert "consumer-0" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    evs = events(run)
    assert_died_first(evs, "consumer-0")
    assert count(evs, "queue.get") < 2 * 50  # the producers' items were never all taken


@pytest.mark.parametrize("method", METHODS)
def test_killed_manager_server_fails_the_run_naming_it(method: str) -> None:
    params = {"workers": 2, "ops": 200, "delay_ms": 20}

    def calls_under_way(evs: list[dict[str, Any]]) -> bool:
        return sum(1 for e in evs if e["kind"] == "manager.call") >= 4

    run = with_manager(lambda m: kill_and_finish(m, "manager", params, "manager", calls_under_way, method))
    assert run.status == RunStatus.FAILED
    error = run.error or ""
    assert "Manager" in error and "SIGKILL" in error, error  # the server process, e.g. SyncManager-1:1
    evs = events(run)
    assert count(evs, "manager.call") < 2 * 2 * 200  # the workers' calls stopped with their server
    assert evs[-1]["kind"] == "run.end" and evs[-1]["data"]["status"] == "failed"


@pytest.mark.parametrize(("mode", "victim"), [("ping-pong", "pong"), ("one-way", "receiver")])
def test_killed_pipe_end_fails_the_run(mode: str, victim: str) -> None:
    params = {"mode": mode, "messages": 500, "delay_ms": 20}

    def talking(evs: list[dict[str, Any]]) -> bool:
        return sum(1 for e in evs if e["kind"] == "pipe.recv") >= 2

    run = with_manager(lambda m: kill_and_finish(m, "pipe", params, victim, talking))
    assert run.status == RunStatus.FAILED
    assert victim in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    evs = events(run)
    assert_died_first(evs, victim)
    assert count(evs, "pipe.recv") < params["messages"]  # the talk ended with the dead end


@pytest.mark.parametrize("method", METHODS)
def test_killed_pool_worker_fails_the_run_instead_of_hanging(method: str) -> None:
    """CPython issue 96062: Pool.map waits forever for a task whose worker was killed."""
    params = {"processes": 2, "n": 20, "sleep_ms": 300}

    def tasks_running(evs: list[dict[str, Any]]) -> bool:
        return sum(1 for e in evs if e["kind"] == "pool.task.start") >= 2

    async def body(m: Engine) -> Run:
        run = await m.start("pool", params, method)
        evs = await wait_for(run, tasks_running)
        busy = next(e["pid"] for e in evs if e["kind"] == "pool.task.start")
        os.kill(busy, signal.SIGKILL)
        return await finished(run, FAULT_HANG_GUARD_S)

    run = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "PoolWorker" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    evs = events(run)
    assert count(evs, "pool.task.end") < params["n"]  # map() did not get to wait for the lost task forever
    assert evs[-1]["kind"] == "run.end" and evs[-1]["data"]["status"] == "failed"


@pytest.mark.parametrize("method", METHODS)
def test_a_pool_worker_killed_waiting_for_a_task_fails_the_run_though_the_pools_cleanup_hangs(
    method: str,
) -> None:
    """Found by a 3.13 run: a Pool worker waiting for a task holds the task queue's read lock; killed
    there, it holds it for ever, and Pool.terminate() (the `with` block's exit, as the main process
    unwinds from the error) waits for that lock for ever. The run must still fail, naming the worker,
    with its death in the stream, and say where the main process was stuck."""
    params = {"processes": 2, "n": 1, "sleep_ms": 5000}  # one worker busy, the other waits for a task

    def both_up(evs: list[dict[str, Any]]) -> bool:
        workers = [e for e in evs if e["kind"] == "process.start" and e["data"].get("role") == "pool worker"]
        return len(workers) == 2 and count(evs, "pool.task.start") == 1

    async def body(m: Engine) -> tuple[Run, str]:
        run = await m.start("pool", params, method)
        evs = await wait_for(run, both_up)
        busy = next(e["pid"] for e in evs if e["kind"] == "pool.task.start")
        idle = next(e for e in evs if e["data"].get("role") == "pool worker" and e["pid"] != busy)
        # Asleep in the task queue's read, holding its lock (the busy one holds nothing).
        await wait_for_state(idle["pid"], psutil.STATUS_SLEEPING)
        os.kill(idle["pid"], signal.SIGKILL)
        return await finished(run, FAULT_HANG_GUARD_S), idle["proc"]

    run, victim = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert victim in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    evs = events(run)
    assert_died_first(evs, victim)
    error = next(e for e in evs if e["kind"] == "run.error")
    assert "did not finish cleaning up" in error["data"]["traceback"], error
    assert "_help_stuff_finish" in error["data"]["traceback"], error  # Pool.terminate(), taking the lock


async def wait_for_state(pid: int, status: str) -> None:
    deadline = time.monotonic() + FAULT_HANG_GUARD_S
    while psutil.Process(pid).status() != status:
        assert time.monotonic() < deadline, f"hang guard: pid {pid} never {status}"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("method", METHODS)
def test_a_process_killed_holding_the_queue_lock_still_fails_the_run_fast(method: str) -> None:
    """Found by CI: SIGKILL while a feeder thread held the run queue's write lock left the main
    process hanging at exit (the stdlib joins its feeder). The run must still end within seconds,
    naming the process and the signal, and its stream must still show the death and the error: the
    main process's final events come through shared memory (EventQueue.write_last_words)."""

    async def body(m: Engine) -> Run:
        # The siblings sleep 30 s: a run that waited for them would take that long; a hang, 60 s (the
        # time limit, which no_hangs fails as a hang).
        return await finished(await m.start("test-wedge", {"workers": 2}, method), FAULT_HANG_GUARD_S)

    run = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "wedge-0" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    evs = events(run)
    # Nothing came through the wedged queue after the kill; the victim's exit (-9) and the run's error
    # came through shared memory, in that order, and the stream ends with the server's own run.end.
    assert_died_first(evs, "wedge-0")
    assert count(evs, "run.error") == 1 and count(evs, "run.result") == 0
    assert [e["seq"] for e in evs] == list(range(len(evs)))  # numbered on, after what the relay had


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
        if hung:  # where it is stuck, on stderr (shown with the failure), then gone
            os.kill(worker.pid or 0, STACKS_SIGNAL)
            worker.join(1)
            worker.kill()
            worker.join()
        assert not hung and worker.exitcode == 128 + signal.SIGTERM, (hung, worker.exitcode)


def leave_slowly(leaving: Any) -> None:
    leaving.set()
    time.sleep(0.5)  # as a queue feeder's last writes can take a while


def pool_worker_leaving_on_its_own(leaving: Any, flushed: Any) -> None:
    install_pool_worker_handlers()
    Finalize(None, flushed.set, exitpriority=0)  # the last step of its way out
    Finalize(None, leave_slowly, args=(leaving,), exitpriority=100)  # the first


def test_sigterm_lets_a_pool_worker_that_is_leaving_on_its_own_finish() -> None:
    """terminate() also SIGTERMs the workers that are just leaving on the pool's sentinel. SystemExit
    in their finalizers skipped joining the queue feeder, which died mid-write holding the run queue's
    write lock: the main process then hung at its own exit. Such a worker must finish leaving."""
    mp = root_context()
    leaving, flushed = mp.Event(), mp.Event()
    worker = mp.Process(target=pool_worker_leaving_on_its_own, args=(leaving, flushed))
    worker.start()
    assert leaving.wait(SIGTERM_HANG_GUARD)
    os.kill(worker.pid or 0, signal.SIGTERM)
    worker.join(SIGTERM_HANG_GUARD)
    assert worker.exitcode == 0 and flushed.is_set(), worker.exitcode


_task_started: Any = None  # the Event an executor worker sets when its task begins (executor_worker_init)


def executor_worker_init(started: Any) -> None:
    global _task_started
    install_pool_worker_handlers()
    _task_started = started


def executor_task() -> None:
    _task_started.set()
    time.sleep(60)  # SIGTERM lands here


@pytest.mark.parametrize("method", METHODS)
def test_sigterm_ends_an_executor_worker_whose_loop_caught_its_systemexit(method: str) -> None:
    """A ProcessPoolExecutor worker catches BaseException around each task and sends it back as the
    task's outcome: SystemExit from a SIGTERM that lands in a task does not end it by itself, and it
    goes back to wait for the next task. A broken executor SIGTERMs its workers and joins them with no
    timeout (Python 3.13+; 3.11 also sent them a None to leave on): the worker must leave, or the run
    hangs. It did on 3.15, under every start method."""
    mp = multiprocessing.get_context(method)
    started = mp.Event()
    executor = ProcessPoolExecutor(1, mp_context=mp, initializer=executor_worker_init, initargs=(started,))
    try:
        future = executor.submit(executor_task)
        assert started.wait(SIGTERM_HANG_GUARD)
        (worker,) = multiprocessing.active_children()
        os.kill(worker.pid or 0, signal.SIGTERM)
        caught = future.exception(SIGTERM_HANG_GUARD)  # what the worker's loop caught, sent back
        assert isinstance(caught, SystemExit) and caught.code == 128 + signal.SIGTERM
        worker.join(SIGTERM_HANG_GUARD)
        hung = worker.is_alive()
        if hung:  # where it is stuck, on stderr (shown with the failure), then gone
            os.kill(worker.pid or 0, STACKS_SIGNAL)
            worker.join(1)
            worker.kill()
            worker.join()
        assert not hung and worker.exitcode == 128 + signal.SIGTERM, (hung, worker.exitcode)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
