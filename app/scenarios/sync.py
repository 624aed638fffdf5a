"""Synchronization primitives: an Event starts everyone, a Semaphore lets at most k in, a Barrier joins.

Workers wait for a start signal (Event), then enter a section that a Semaphore(k) guards: at most k
workers are inside at once, the others wait at the door. Then all meet at a Barrier: nobody starts the
second phase before everybody has finished the first. The second phase goes through the section again.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class SyncParams(Params):
    workers: int = Field(6, ge=1, le=12, description="worker processes")
    limit: int = Field(2, ge=1, le=6, description="k: Semaphore(k) lets at most k workers in at once")
    work_ms: int = Field(150, ge=10, le=1000, description="time each worker spends inside the section")
    signal_ms: int = Field(300, ge=0, le=2000, description="how long main waits before the start signal")


def section(rep: Reporter, sem: Any, inside: Any, peak: Any, phase: int, work_ms: int) -> None:
    """The guarded section: at most k workers at once. `inside` counts them, `peak` keeps the maximum."""
    rep.emit("semaphore.wait", semaphore="sem", phase=phase)
    sem.acquire()
    with inside.get_lock():
        inside.value += 1
        now = inside.value
        peak.value = max(peak.value, now)
    rep.emit("semaphore.acquired", semaphore="sem", phase=phase, inside=now)
    time.sleep(work_ms / 1000)  # the work that only k workers may do at once
    with inside.get_lock():
        inside.value -= 1
        now = inside.value
    rep.emit("semaphore.released", semaphore="sem", phase=phase, inside=now)
    sem.release()


def worker(rep: Reporter, start: Any, sem: Any, barrier: Any, inside: Any, peak: Any, work_ms: int) -> None:
    rep.emit("event.wait", event="start")
    start.wait()  # the Event: nobody begins before main says so
    section(rep, sem, inside, peak, 1, work_ms)
    rep.emit("barrier.wait", barrier="barrier", parties=barrier.parties)
    index = barrier.wait()  # the Barrier: the last one to arrive lets everybody through
    rep.emit("barrier.passed", barrier="barrier", index=index)
    section(rep, sem, inside, peak, 2, work_ms)


class Sync(Scenario[SyncParams]):
    id = "sync"
    title = "Semaphore, Event and Barrier"
    title_zh = "Semaphore、Event 與 Barrier"
    concepts = ("Semaphore", "Event", "Barrier")
    explanation = {
        "en": (
            "Every worker waits for main's start signal, an Event. Then each tries to enter a section "
            "guarded by Semaphore(k): at most k workers are inside at once (solid bars on the timeline), "
            "the others wait at the door (hatched). The panel draws how many are inside over time: it "
            "never goes above the red line k. Then all meet at a Barrier: the phase-2 bars start only "
            "after the last worker arrived. Try k = 1 (a Lock) and k = workers (no waiting at all)."
        ),
        "zh": (
            "每個工作進程先等待 main 的開始訊號(Event)。然後每個進程嘗試進入由 Semaphore(k)(信號量)保護"
            "的區段:同一時刻最多 k 個進程在裡面(時間軸上的實心條),其他的在門口等待(斜線條)。面板畫出區段"
            "內的進程數隨時間的變化:它永遠不會超過紅線 k。接著所有進程在 Barrier(屏障)會合:要等最後一個"
            "進程到達,第二階段才開始。試試 k = 1(等同一把鎖)和 k = 進程數(完全不必等待)。"
        ),
    }
    Params = SyncParams
    presets = {
        "semaphore 2 of 6": {"workers": 6, "limit": 2, "work_ms": 150, "signal_ms": 300},
        "k = 1 (a Lock)": {"workers": 4, "limit": 1, "work_ms": 100, "signal_ms": 300},
        "k = workers": {"workers": 4, "limit": 4, "work_ms": 150, "signal_ms": 300},
        "crowd": {"workers": 12, "limit": 3, "work_ms": 80, "signal_ms": 500},
    }

    def processes(self, params: SyncParams) -> int:
        return params.workers + 1

    def run(self, ctx: RunContext, params: SyncParams) -> dict[str, Any]:
        start = ctx.mp.Event()
        sem = ctx.mp.Semaphore(params.limit)
        barrier = ctx.mp.Barrier(params.workers, timeout=60)
        inside, peak = ctx.mp.Value("i", 0), ctx.mp.Value("i", 0)
        procs = [
            ctx.Process(worker, (start, sem, barrier, inside, peak, params.work_ms), name=f"worker-{i}")
            for i in range(params.workers)
        ]
        ctx.start_all(procs)
        ctx.sleep_ms(params.signal_ms)
        ctx.rep.emit("event.set", event="start")
        start.set()  # everyone waiting on the Event goes now
        ctx.join_all(procs)
        return {
            "max_inside": peak.value,
            "limit": params.limit,
            "workers": params.workers,
            "entries": 2 * params.workers,
        }
