"""Lost updates: workers increment one shared counter, with and without a Lock.

`counter.value = counter.value + 1` is a read followed by a write. Two processes that read the same
value both write value + 1, and one increment is lost. A Lock makes read-and-write one step.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class RaceParams(Params):
    workers: int = Field(4, ge=1, le=16, description="worker processes")
    increments: int = Field(1000, ge=1, le=100_000, description="increments per worker")
    use_lock: bool = Field(False, description="guard read-and-write with a multiprocessing.Lock")
    delay_ms: int = Field(0, ge=0, le=1000, description="slow motion: pause between read and write")
    hold_ms: int = Field(0, ge=0, le=1000, description="pause after the write, still holding the lock")


def worker(
    rep: Reporter, counter: Any, lock: Any, start_gate: Any, increments: int, delay_ms: int, hold_ms: int
) -> None:
    start_gate.wait()  # a Barrier: all workers begin together, whatever the start method's cost
    for _ in range(increments):
        if lock is not None:
            rep.emit("lock.wait", lock="lock")
            lock.acquire()
            rep.emit("lock.acquired", lock="lock")
        try:
            value = counter.value  # read ...
            rep.emit("value.read", name="counter", value=value)
            if delay_ms:
                time.sleep(delay_ms / 1000)
            counter.value = value + 1  # ... then write: another process may have written in between
            rep.emit("value.write", name="counter", value=value + 1, read=value)
            if hold_ms:
                # The tutorial prints: 進程 <name> 增加計數器到 <value>
                rep.emit("log", msg=f"進程 {multiprocessing.current_process().name} 增加計數器到 {value + 1}")
                time.sleep(hold_ms / 1000)
        finally:
            if lock is not None:
                rep.emit("lock.released", lock="lock")  # reported first, so two holds never overlap
                lock.release()


class Race(Scenario[RaceParams]):
    id = "race"
    title = "Lock: lost updates on a shared counter"
    title_zh = "Lock：共享計數器的更新遺失"
    concepts = ("Value", "Lock", "race condition")
    explanation = {
        "en": (
            "Each worker process adds 1 to a shared multiprocessing.Value, many times. Adding is two "
            "steps: read the value, then write value + 1. Without a lock, two processes can read the same "
            "value and both write value + 1: one increment is lost. Watch for writes marked 'lost' on the "
            "timeline and compare expected with actual. Turn on the Lock: only one process at a time holds "
            "it (solid bars), the others wait (hatched), and no update is ever lost."
        ),
        "zh": (
            "每個工作進程把共享的 multiprocessing.Value 加 1,重複多次。加 1 其實是兩步:先讀取數值,"
            "再寫回數值 + 1。沒有鎖時,兩個進程可能讀到同一個值,然後都寫回值 + 1,其中一次增加就遺失了。"
            "請留意時間軸上標記為「遺失」的寫入,並比較預期值與實際值。開啟 Lock(鎖)後,同一時刻只有一個"
            "進程持有鎖(實心條),其他進程等待(斜線),不會再遺失任何更新。"
        ),
    }
    Params = RaceParams
    presets = {
        # The tutorial's example: 5 processes, +1 each, 0.1 s sleep inside the lock.
        "tutorial": {"workers": 5, "increments": 1, "use_lock": True, "delay_ms": 0, "hold_ms": 100},
        "no lock": {"workers": 4, "increments": 1000, "use_lock": False, "delay_ms": 0, "hold_ms": 0},
        "with lock": {"workers": 4, "increments": 1000, "use_lock": True, "delay_ms": 0, "hold_ms": 0},
        "slow motion": {"workers": 3, "increments": 10, "use_lock": False, "delay_ms": 150, "hold_ms": 0},
    }

    def processes(self, params: RaceParams) -> int:
        return params.workers + 1

    def run(self, ctx: RunContext, params: RaceParams) -> dict[str, Any]:
        counter = ctx.mp.Value("i", 0)  # 'i': a C int in shared memory
        lock = ctx.mp.Lock() if params.use_lock else None
        start_gate = ctx.mp.Barrier(params.workers, timeout=30)
        procs = [
            ctx.Process(
                worker,
                (counter, lock, start_gate, params.increments, params.delay_ms, params.hold_ms),
                name=f"Process-{i}",
            )
            for i in range(params.workers)
        ]
        ctx.start_all(procs)
        ctx.join_all(procs)
        expected = params.workers * params.increments
        actual = counter.value
        ctx.rep.emit("value.read", name="counter", value=actual)
        return {
            "expected": expected,
            "actual": actual,
            "lost": expected - actual,
            "use_lock": params.use_lock,
        }
