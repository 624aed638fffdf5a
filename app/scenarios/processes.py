"""Process, start() and join(): the tutorial's first example, with each process's whole life shown.

A `Process` object is only a description until `start()` asks the OS for a new process (fork, spawn or
forkserver: the start method decides how, and how long it takes). The child runs its target and
exits; `join()` makes the parent wait for that exit.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class ProcessesParams(Params):
    workers: int = Field(3, ge=1, le=16, description="processes to create, start and join")
    sleep_ms: int = Field(1000, ge=0, le=10_000, description="how long each process works (time.sleep)")
    fail_worker: int = Field(
        -1, ge=-1, le=15, description="this worker raises an exception halfway; -1: none"
    )


def worker(rep: Reporter, num: int, sleep_ms: int, fail: bool = False) -> None:
    rep.emit("log", msg=f"進程 {num} 啟動")  # print(f"進程 {num} 啟動")
    if fail:
        time.sleep(sleep_ms / 2000)
        # An exception ends the child: its traceback goes to its stderr and its exit code becomes 1.
        raise RuntimeError(f"worker {num} failed halfway through its work")
    time.sleep(sleep_ms / 1000)  # 模擬耗時操作
    rep.emit("log", msg=f"進程 {num} 結束")


class Processes(Scenario[ProcessesParams]):
    id = "processes"
    title = "Process: start() and join()"
    title_zh = "Process：start() 與 join()"
    concepts = ("Process", "start", "join", "start method")
    explanation = {
        "en": (
            "The main process creates one Process object per worker, calls start() on each, then join() "
            "on each. Follow every process through its stages: created (only a Python object in the "
            "parent, no OS process yet), started (the child's first act), running its function, exited "
            "(exit code 0 means it returned normally) and joined (the parent has waited for it). The "
            "workers sleep at the same time, so the run takes about one sleep, not one per worker. "
            "Compare how long start() takes in the parent under fork, spawn and forkserver: spawn "
            "starts a fresh Python interpreter, fork copies the parent. With fail_worker, one worker "
            "raises an exception: it ends with exit code 1 and its traceback, and mpscope fails the run at "
            "once (a plain join() would not tell the parent: check exitcode)."
        ),
        "zh": (
            "主進程為每個工作建立一個 Process 物件,先對每個呼叫 start(),再對每個呼叫 join()。請跟著每個"
            "進程走過各個階段:已建立(只是父進程中的 Python 物件,還沒有作業系統進程)、已啟動(子進程的"
            "第一個動作)、執行中(執行它的函數)、已結束(結束碼 0 表示正常返回)、已 join(父進程已等到它"
            "結束)。各進程同時睡眠,所以整個執行大約只花一次睡眠的時間,而不是每個進程各一次。請比較在 "
            "fork、spawn 和 forkserver 之下,父進程呼叫 start() 要花多久:spawn 會啟動一個全新的 Python "
            "直譯器,fork 則是複製父進程。設定 fail_worker 時,其中一個工作進程會拋出例外:它以結束碼 1 "
            "結束並留下 traceback,mpscope 會立刻把這次執行標為失敗(單純的 join() 不會通知父進程:要檢查 "
            "exitcode)。"
        ),
    }
    Params = ProcessesParams
    presets = {
        # The tutorial's example: 3 processes, each sleeps 2 s.
        "tutorial": {"workers": 3, "sleep_ms": 2000},
        "many processes": {"workers": 12, "sleep_ms": 500},
        "no work": {"workers": 8, "sleep_ms": 0},
        "a worker raises": {"workers": 3, "sleep_ms": 1000, "fail_worker": 1},
    }

    def processes(self, params: ProcessesParams) -> int:
        return params.workers + 1

    def run(self, ctx: RunContext, params: ProcessesParams) -> dict[str, Any]:
        rep = ctx.rep
        processes = []
        start_ms = []
        for i in range(params.workers):
            p = ctx.Process(worker, (i, params.sleep_ms, i == params.fail_worker), name=f"Process-{i}")
            processes.append(p)
            rep.emit("process.create", process=p.name)  # no OS process yet: reported on the parent's lane
            t0 = time.perf_counter()
            p.start()
            start_ms.append(round((time.perf_counter() - t0) * 1000, 3))

        for p, ms in zip(processes, start_ms, strict=True):
            p.join()
            ctx.report_exit(p)
            rep.emit_for(p.pid or 0, p.name, "process.join", exitcode=p.exitcode, start_ms=ms)

        rep.emit("log", msg="所有進程執行完畢")  # print("所有進程執行完畢")
        return {
            "exitcodes": [p.exitcode for p in processes],
            "start_ms": start_ms,
            "start_method": ctx.start_method,
        }
