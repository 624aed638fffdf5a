"""Threads or processes? The GIL: the same CPU-bound and I/O-bound jobs, run by threads and by processes.

Only one thread of a process runs Python code at a time (it must hold the Global Interpreter Lock), so
threads take turns on CPU-bound work, while processes each have their own interpreter and run on
every core. Waiting (sleep, a blocking read) releases the GIL: for I/O-bound work threads do as well.
"""

from __future__ import annotations

import os
import threading
import time
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as ProcessEvent


class GilParams(Params):
    workers: int = Field(2, ge=1, le=8, description="threads, then processes, running the same job")
    work_units: int = Field(10, ge=1, le=50, description="units of work per worker")
    cpu_n: int = Field(
        800_000, ge=10_000, le=1_000_000, description="CPU unit: sum of i*i for i in range(cpu_n)"
    )
    io_ms: int = Field(40, ge=1, le=200, description="I/O unit: time.sleep of io_ms milliseconds")


def cpu_job(rep: Reporter, lane: str, ready: Any, go: Any, units: int, n: int) -> None:
    ready.wait()
    go.wait()  # every worker starts together: start-up costs are not part of the measurement
    cpu0 = time.thread_time()
    for unit in range(units):
        sum(i * i for i in range(n))  # pure Python: the GIL is held all along
        rep.emit_as(lane, "work.unit", job="cpu", unit=unit, cpu_s=round(time.thread_time() - cpu0, 4))


def io_job(rep: Reporter, lane: str, ready: Any, go: Any, units: int, ms: int) -> None:
    ready.wait()
    go.wait()
    cpu0 = time.thread_time()
    for unit in range(units):
        time.sleep(ms / 1000)  # waiting for I/O: the GIL is released, other threads run
        rep.emit_as(lane, "work.unit", job="io", unit=unit, cpu_s=round(time.thread_time() - cpu0, 4))


def in_thread(rep: Reporter, lane: str, job: Any, *args: Any) -> None:
    """A thread's body: the job, on a timeline lane of its own ("main/<thread name>")."""
    name = threading.current_thread().name
    rep.emit_as(lane, "thread.start", thread=name)
    try:
        job(rep, lane, *args)
    finally:
        rep.emit_as(lane, "thread.exit", thread=name)


def run_phase(ctx: RunContext, phase: str, job: Any, args: tuple[Any, ...], workers: int) -> float:
    """Run `job` in `workers` threads or processes; returns the seconds from "go" until all are done."""
    prefix, kind = phase.split("-")  # "cpu-threads" -> ("cpu", "threads")
    letter = "T" if kind == "threads" else "P"
    names = [f"{prefix}-{letter}{i + 1}" for i in range(workers)]  # "cpu-T1": a thread, "io-P2": a process
    threads: list[threading.Thread] = []
    procs: list[BaseProcess] = []
    go: threading.Event | ProcessEvent
    if kind == "threads":
        ready, go = threading.Barrier(workers + 1, timeout=30), threading.Event()
        threads = [
            threading.Thread(
                target=in_thread, args=(ctx.rep, f"main/{name}", job, ready, go, *args), name=name
            )
            for name in names
        ]
        for t in threads:
            t.start()
    else:
        ready, go = ctx.mp.Barrier(workers + 1, timeout=30), ctx.mp.Event()
        procs = [ctx.Process(job, (name, ready, go, *args), name=name) for name in names]
        ctx.start_all(procs)
    ready.wait()  # all started
    ctx.rep.emit("phase.start", phase=phase, workers=workers)
    t0 = time.perf_counter()
    go.set()
    for t in threads:
        t.join()
    ctx.join_all(procs)
    seconds = time.perf_counter() - t0
    ctx.rep.emit("phase.end", phase=phase, workers=workers, seconds=round(seconds, 4))
    return seconds


class Gil(Scenario[GilParams]):
    id = "gil"
    title = "GIL: threads vs processes on CPU-bound and I/O-bound work"
    title_zh = "GIL：CPU 密集與 I/O 密集工作下的線程與進程"
    concepts = ("GIL", "threading", "Process", "CPU-bound", "I/O-bound")
    explanation = {
        "en": (
            "The same jobs run four times, one phase after another: a CPU-bound job (a pure-Python loop "
            "summing squares) in N threads, then in N processes; an I/O-bound job (sleeping, as when "
            "waiting for a network or a disk) in N threads, then in N processes (lanes cpu-T1... are "
            "threads inside main, cpu-P1... are processes). Watch the CPU phases: "
            "the threads' work ticks take turns, because only the thread holding the GIL runs Python, so "
            "N threads take about N times as long as N processes on a machine with N free cores. Watch "
            "the I/O phases: a sleeping thread releases the GIL, so threads and processes take the same "
            "time. CPU-bound: use processes. I/O-bound: threads are enough (and cheaper to start)."
        ),
        "zh": (
            "同樣的工作依序執行四個階段:CPU 密集型工作(純 Python 迴圈計算平方和)先用 N 個線程、再用 N 個"
            "進程;I/O 密集型工作(睡眠,就像等待網路或磁碟)先用 N 個線程、再用 N 個進程(cpu-T1 等是 main "
            "裡的線程,cpu-P1 等是進程)。請看 CPU 階段:"
            "由於全局解釋器鎖(GIL),同一時刻只有持有 GIL 的線程能執行 Python 程式碼,線程只能輪流工作,"
            "所以在有 N 個空閒核心的機器上,N 個線程大約比 N 個進程慢 N 倍。再看 I/O 階段:睡眠中的線程會"
            "釋放 GIL,所以線程和進程花的時間差不多。CPU 密集型任務應該選擇多進程;I/O 密集型任務可以選擇"
            "多線程(啟動也更便宜)。"
        ),
    }
    Params = GilParams
    presets = {
        # The tutorial has no code here, only the rule: CPU-bound -> processes, I/O-bound -> threads.
        "tutorial": {"workers": 2, "work_units": 10, "cpu_n": 800_000, "io_ms": 40},
        "4 workers": {"workers": 4, "work_units": 10, "cpu_n": 400_000, "io_ms": 40},
        "1 worker": {"workers": 1, "work_units": 10, "cpu_n": 800_000, "io_ms": 40},
    }

    def processes(self, params: GilParams) -> int:
        return 2 * params.workers + 1  # the CPU phase's processes, then the I/O phase's

    def run(self, ctx: RunContext, params: GilParams) -> dict[str, Any]:
        n, units = params.workers, params.work_units
        cpu = (params.work_units, params.cpu_n)
        io = (params.work_units, params.io_ms)
        return {
            "cpu": {
                "threads_s": round(run_phase(ctx, "cpu-threads", cpu_job, cpu, n), 4),
                "processes_s": round(run_phase(ctx, "cpu-processes", cpu_job, cpu, n), 4),
            },
            "io": {
                "threads_s": round(run_phase(ctx, "io-threads", io_job, io, n), 4),
                "processes_s": round(run_phase(ctx, "io-processes", io_job, io, n), 4),
            },
            "cores": os.cpu_count(),
            "workers": n,
            "work_units": units,
        }
