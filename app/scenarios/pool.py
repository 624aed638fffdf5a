"""Pool: a fixed set of worker processes that the tasks are handed out to.

`Pool(processes=4).map(worker, range(10))` starts 4 processes once and sends them the 10 calls in
chunks; map returns every result at once, in task order. imap yields them in task order as they
come, imap_unordered in the order they finish. With maxtasksperchild a worker exits after that many
chunks and the pool starts a fresh one in its place.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import time
from multiprocessing.util import Finalize
from typing import Any, Literal

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario
from app.lesson.signals import install_pool_worker_handlers

_rep: Reporter | None = None  # each pool worker's Reporter, set by init_worker
_sleep_ms = 0
_chunksize = 1
_uneven = False


class PoolParams(Params):
    processes: int = Field(4, ge=1, le=8, description="worker processes in the pool")
    n: int = Field(10, ge=1, le=200, description="tasks: worker(0) … worker(n - 1)")
    sleep_ms: int = Field(500, ge=0, le=5000, description="how long each task works (time.sleep)")
    chunksize: int = Field(0, ge=0, le=50, description="tasks sent to a worker at once; 0 = the default")
    method: Literal["map", "imap", "imap_unordered"] = Field("map", description="how results come back")
    maxtasksperchild: int = Field(
        0, ge=0, le=100, description="chunks before a worker is replaced; 0 = never"
    )
    uneven: bool = Field(False, description="tasks take different times: sleep_ms × (1 + num % 3)")


def init_worker(rep: Reporter, sleep_ms: int, chunksize: int, uneven: bool) -> None:
    """Runs once in each pool worker as it starts: gives it a lane on the timeline."""
    global _rep, _sleep_ms, _chunksize, _uneven
    install_pool_worker_handlers()  # Pool.terminate() SIGTERMs its workers, then joins them
    _rep, _sleep_ms, _chunksize, _uneven = rep, sleep_ms, chunksize, uneven
    rep.emit("process.start", ppid=os.getppid(), role="pool worker")
    # The Pool joins its workers itself, so each one reports its own exit, as it leaves.
    Finalize(None, report_exit, exitpriority=100)


def report_exit() -> None:
    exc = sys.exc_info()[1]  # set while the process is leaving because of an exception (SIGTERM too)
    if exc is None:
        code = 0
    elif isinstance(exc, SystemExit) and isinstance(exc.code, int):
        code = exc.code
    else:
        code = 1
    if _rep is not None:
        _rep.emit("process.exit", exitcode=code)


def worker(num: int) -> tuple[int, int, str]:
    assert _rep is not None
    _rep.emit("pool.task.start", task=num, arg=num, chunk=num // _chunksize)
    _rep.emit("log", msg=f"進程 {num} 啟動")  # print(f"進程 {num} 啟動")
    time.sleep(_sleep_ms * (1 + num % 3 if _uneven else 1) / 1000)
    _rep.emit("pool.task.end", task=num, result=num * num)
    # num * num, plus which task this was and who ran it (imap_unordered returns in finishing order)
    return num, num * num, multiprocessing.current_process().name


def effective_chunksize(params: PoolParams) -> int:
    """The chunk size the pool uses: map's default is about n / (4 × processes), imap's is 1."""
    if params.chunksize:
        return params.chunksize
    if params.method != "map":
        return 1
    chunksize, extra = divmod(params.n, params.processes * 4)  # as Pool.map computes it
    return chunksize + 1 if extra else chunksize


class WorkerPool(Scenario[PoolParams]):
    id = "pool"
    title = "Pool: map, imap and imap_unordered"
    title_zh = "Pool：map、imap 與 imap_unordered"
    concepts = ("Pool", "map", "imap_unordered", "chunksize", "maxtasksperchild")
    explanation = {
        "en": (
            "A Pool starts its worker processes once, then hands them tasks: here worker(0) … "
            "worker(n - 1), each returning num × num. Watch the tasks spread over the worker lanes and "
            "count how many each worker ran. map returns all results at once, in task order, after the "
            "last task. imap yields them in task order as soon as each is ready; imap_unordered in the "
            "order they finish: with uneven task times, out-of-order arrivals are highlighted. chunksize "
            "sends several tasks to a worker at once; maxtasksperchild replaces a worker after that "
            "many chunks, so new lanes appear."
        ),
        "zh": (
            "進程池(Pool)只啟動一次它的工作進程,之後把任務交給它們:這裡是 worker(0) … worker(n - 1),"
            "每個回傳 num × num。請看任務如何分散到各工作進程的時間線上,並數數每個工作進程執行了幾個任務。"
            "map 在最後一個任務完成後,一次依任務順序回傳所有結果。imap 依任務順序、每個結果一好就交回;"
            "imap_unordered 則依完成的先後交回:任務耗時不同(uneven)時,亂序到達的結果會被標示出來。"
            "chunksize 讓一個工作進程一次拿好幾個任務;maxtasksperchild 讓工作進程在執行那麼多批任務後被"
            "換掉,所以會出現新的進程。"
        ),
    }
    Params = PoolParams
    presets = {
        # The tutorial's example: Pool(processes=4).map(worker, range(10)), each task sleeps 1 s.
        "tutorial": {
            "processes": 4,
            "n": 10,
            "sleep_ms": 1000,
            "chunksize": 0,
            "method": "map",
            "maxtasksperchild": 0,
            "uneven": False,
        },
        "unordered": {
            "processes": 4,
            "n": 16,
            "sleep_ms": 200,
            "chunksize": 1,
            "method": "imap_unordered",
            "maxtasksperchild": 0,
            "uneven": True,
        },
        "ordered": {
            "processes": 4,
            "n": 16,
            "sleep_ms": 200,
            "chunksize": 1,
            "method": "imap",
            "maxtasksperchild": 0,
            "uneven": True,
        },
        "big chunks": {
            "processes": 4,
            "n": 40,
            "sleep_ms": 50,
            "chunksize": 10,
            "method": "imap",
            "maxtasksperchild": 0,
            "uneven": False,
        },
        "fresh workers": {
            "processes": 2,
            "n": 12,
            "sleep_ms": 150,
            "chunksize": 1,
            "method": "imap",
            "maxtasksperchild": 2,
            "uneven": False,
        },
    }

    def processes(self, params: PoolParams) -> int:
        extra = 0
        if params.maxtasksperchild:
            # Each worker that ran maxtasksperchild chunks is replaced: at most chunks // that many.
            chunks = math.ceil(params.n / effective_chunksize(params))
            extra = chunks // params.maxtasksperchild
        return 1 + params.processes + extra

    def run(self, ctx: RunContext, params: PoolParams) -> dict[str, Any]:
        rep = ctx.rep
        chunksize = effective_chunksize(params)
        results: list[int | None] = [None] * params.n
        result_order: list[int] = []
        tasks_by_worker: dict[str, list[int]] = {}

        def got(task: int, square: int, name: str) -> None:
            rep.emit("pool.result", task=task, position=len(result_order), result=square)
            results[task] = square
            result_order.append(task)
            tasks_by_worker.setdefault(name, []).append(task)

        with ctx.mp.Pool(
            processes=params.processes,
            initializer=init_worker,
            initargs=(rep, params.sleep_ms, chunksize, params.uneven),
            maxtasksperchild=params.maxtasksperchild or None,
        ) as pool:
            ctx.watch.add_pool(pool)  # a killed worker fails the run, instead of map() waiting forever
            try:
                if params.method == "map":
                    for task, square, name in pool.map(worker, range(params.n), params.chunksize or None):
                        got(task, square, name)  # all at once: map returned after the last task
                else:
                    iterate = pool.imap if params.method == "imap" else pool.imap_unordered
                    for task, square, name in iterate(worker, range(params.n), chunksize):
                        got(task, square, name)  # one by one, as each result arrives
                pool.close()  # no more tasks: let the workers finish and exit on their own
                pool.join()
            finally:
                ctx.watch.release_pool(pool)  # closing or terminating: workers' ends are expected now

        return {
            "results": results,
            "tasks_by_worker": {name: sorted(tasks) for name, tasks in sorted(tasks_by_worker.items())},
            "result_order": result_order,
            "chunksize": chunksize,
        }
