"""ProcessPoolExecutor and multiprocessing.Pool on the same tasks, and what happens when a worker dies.

Both run tasks in worker processes and give back the results in order. The difference shows when a
worker dies mid-task (os._exit, a segfault, the OOM killer): ProcessPoolExecutor notices at once and
raises BrokenProcessPool; Pool quietly replaces the worker, but the task it was running is lost, and
`pool.map` would wait for its result forever (CPython issue 96062). Here the Pool's wait is bounded
once a worker has died (`map_async(...)`, then a timeout counted from the death), then the Pool is
terminated. The clock starts at the death, not at the submit: a healthy Pool on a busy machine is slow,
not broken, and the lesson must not call it broken.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import wait
from multiprocessing.pool import AsyncResult
from multiprocessing.process import BaseProcess
from multiprocessing.util import Finalize
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario
from app.lesson.signals import install_pool_worker_handlers

_rep: Reporter | None = None  # set in each worker by init_worker
_task_ms = 0
_doomed = -1  # the task whose worker dies, or -1
# How long the Pool's workers may take to start before its timeout starts anyway (it then tells).
STARTUP_GUARD_S = 30.0


class ExecutorParams(Params):
    tasks: int = Field(6, ge=1, le=20, description="tasks, each returns its number squared")
    workers: int = Field(2, ge=1, le=4, description="worker processes in each pool")
    task_ms: int = Field(150, ge=10, le=1000, description="how long each task takes")
    kill_worker: bool = Field(False, description="the middle task's worker dies: os._exit(1)")
    pool_timeout_ms: int = Field(
        2000, ge=200, le=10_000, description="how long to wait for Pool results after a worker died"
    )


def init_worker(rep: Reporter, role: str, task_ms: int, doomed: int, up: Any = None) -> None:
    """Runs once in each worker as it starts: gives it a lane on the timeline, then releases `up`."""
    global _rep, _task_ms, _doomed
    install_pool_worker_handlers()  # both pools stop their workers with SIGTERM, then join them
    _rep, _task_ms, _doomed = rep, task_ms, doomed
    me = multiprocessing.current_process()
    me.name = f"{role.split()[0][:4]}-{me.name.rsplit('-', 1)[-1]}"  # "ForkProcess-3" -> "exec-3"
    rep.emit("process.start", ppid=os.getppid(), role=role)
    Finalize(None, report_exit, exitpriority=100)  # the pools join their workers: each reports its exit
    if up is not None:
        up.release()  # ready for tasks


def report_exit() -> None:
    exc = sys.exc_info()[1]  # set while leaving because of an exception (SIGTERM from terminate() too)
    code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 0 if exc is None else 1
    if _rep is not None:
        _rep.emit("process.exit", exitcode=code)


def square(n: int) -> int:
    assert _rep is not None
    _rep.emit("pool.task.start", task=n, arg=n)
    time.sleep(_task_ms / 1000)
    if n == _doomed:
        die(_rep)
    _rep.emit("pool.task.end", task=n, result=n * n)
    return n * n


def die(rep: Reporter) -> None:
    """The worker vanishes mid-task, as if killed: no exception, no cleanup, no result."""
    rep.emit("log", msg=f"{multiprocessing.current_process().name}: os._exit(1) in the middle of a task")
    rep.emit("process.exit", exitcode=1)
    rep.queue.close()
    rep.queue.join_thread()  # deliver what this process reported before it is gone
    os._exit(1)


def with_executor(ctx: RunContext, params: ExecutorParams, doomed: int) -> dict[str, Any]:
    with ProcessPoolExecutor(
        max_workers=params.workers,
        mp_context=ctx.mp,
        initializer=init_worker,
        initargs=(ctx.rep, "executor worker", params.task_ms, doomed),
    ) as executor:
        try:
            return {"results": list(executor.map(square, range(params.tasks)))}
        except BrokenProcessPool as exc:  # raised as soon as the executor sees a worker die
            return {"error": f"BrokenProcessPool: {exc}"}


def with_pool(ctx: RunContext, params: ExecutorParams, doomed: int) -> dict[str, Any]:
    up = ctx.mp.Semaphore(0)
    with ctx.mp.Pool(
        processes=params.workers,
        initializer=init_worker,
        initargs=(ctx.rep, "pool worker", params.task_ms, doomed, up),
    ) as pool:
        for _ in range(params.workers):  # the timeout below counts from here
            if not up.acquire(timeout=STARTUP_GUARD_S):
                break
        workers = multiprocessing.active_children()  # the Pool's (the executor's have been joined)
        pending = pool.map_async(square, range(params.tasks))
        results = wait_for_results(pending, workers, params.pool_timeout_ms / 1000)  # map() has no timeout
        if results is None:
            report_replaced(ctx, workers, multiprocessing.active_children())
            # Leaving the with block calls pool.terminate(): the workers are stopped.
            seconds = params.pool_timeout_ms / 1000
            lost = f"timed out {seconds:g} s after a worker died: its task never returns, map() would hang"
            return {"error": lost}
        pool.close()  # no more tasks: the workers finish and exit on their own
        pool.join()
        return {"results": results}


def wait_for_results(
    pending: AsyncResult[list[int]], workers: list[BaseProcess], timeout: float
) -> list[int] | None:
    """The map's results, or None once a worker has been dead for `timeout` seconds with results still
    missing: its task is lost. A dead worker's sentinel is ready; looking at it reaps nothing, so the
    Pool's own bookkeeping is left alone."""
    died_at: float | None = None
    while not pending.ready():
        pending.wait(0.05)
        if died_at is None and wait([p.sentinel for p in workers], timeout=0):
            died_at = time.monotonic()
        if died_at is not None and time.monotonic() - died_at >= timeout and not pending.ready():
            return None
    return pending.get()


def report_replaced(ctx: RunContext, before: list[BaseProcess], now: list[BaseProcess]) -> None:
    """Say which workers the Pool replaced, as its parent sees them: a new worker may not have started
    up (and shown on the timeline) yet, but the Pool has started it."""
    gone = sorted(p.pid or 0 for p in set(before) - set(now))
    new = sorted(p.pid or 0 for p in set(now) - set(before))
    if gone:
        msg = f"the Pool replaced its dead worker(s) {gone} by {new}; the task a dead worker held is lost"
        ctx.rep.emit("log", msg=msg, replaced=gone, by=new)


def measured(ctx: RunContext, phase: str, run: Any, params: ExecutorParams, doomed: int) -> dict[str, Any]:
    ctx.rep.emit("phase.start", phase=phase, workers=params.workers)
    t0 = time.perf_counter()
    outcome: dict[str, Any] = run(ctx, params, doomed)
    seconds = round(time.perf_counter() - t0, 4)
    ctx.rep.emit("phase.end", phase=phase, workers=params.workers, seconds=seconds, **outcome)
    return outcome


class Executor(Scenario[ExecutorParams]):
    id = "executor"
    title = "ProcessPoolExecutor vs Pool: when a worker dies"
    title_zh = "ProcessPoolExecutor 與 Pool：當工作進程死掉時"
    concepts = ("ProcessPoolExecutor", "Pool", "BrokenProcessPool", "timeout")
    explanation = {
        "en": (
            "The same tasks (n → n²) run first in a concurrent.futures.ProcessPoolExecutor, then in a "
            "multiprocessing.Pool. Normally both return the same results. Turn on kill_worker: the "
            "middle task's worker dies with os._exit(1). The executor raises BrokenProcessPool at once. "
            "The Pool starts a new worker, but the lost task's result never comes: pool.map() would wait "
            "forever, so here the wait ends pool_timeout_ms after a worker died (map_async(...) and a "
            "timeout) and the Pool is terminated. Lesson: always bound a wait on a Pool, or prefer the "
            "executor."
        ),
        "zh": (
            "同樣的任務(n → n²)先交給 concurrent.futures.ProcessPoolExecutor,再交給 multiprocessing.Pool"
            "(進程池)。正常情況下兩者回傳相同的結果。開啟 kill_worker:執行中間那個任務的工作進程以 "
            "os._exit(1) 突然結束。Executor 立刻拋出 BrokenProcessPool。Pool 會補上一個新的工作進程,但遺失"
            "的任務結果永遠不會回來:pool.map() 會一直等下去,所以這裡在工作進程死掉後"
            "再等 pool_timeout_ms(map_async(...) 加上逾時),逾時後終止進程池。"
            "教訓:等待 Pool 一定要設上限,或改用 Executor。"
        ),
    }
    Params = ExecutorParams
    presets = {
        # The tutorial's Pool example: Pool(processes=4), pool.map(worker, range(10)), time.sleep(1) each.
        "tutorial": {
            "tasks": 10,
            "workers": 4,
            "task_ms": 1000,
            "kill_worker": False,
            "pool_timeout_ms": 5000,
        },
        "a worker dies": {
            "tasks": 6,
            "workers": 2,
            "task_ms": 150,
            "kill_worker": True,
            "pool_timeout_ms": 2000,
        },
    }

    def processes(self, params: ExecutorParams) -> int:
        return 1 + 2 * params.workers + (1 if params.kill_worker else 0)  # + the Pool's replacement worker

    def run(self, ctx: RunContext, params: ExecutorParams) -> dict[str, Any]:
        doomed = params.tasks // 2 if params.kill_worker else -1
        executor = measured(ctx, "executor", with_executor, params, doomed)
        pool = measured(ctx, "pool", with_pool, params, doomed)
        return {
            "executor": executor,
            "pool": pool,
            "broken_pool": "error" in executor,
            "killed_task": doomed if params.kill_worker else None,
        }
