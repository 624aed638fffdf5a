"""Value and Array: numbers in shared memory that every process reads and writes in place.

Each worker fills its own slice of a shared Array with the squares of the indexes and adds each square
to a shared Value. The slices do not overlap, so the Array needs no lock; the Value is written by
every worker, so `+=` is done holding the Value's own lock (`get_lock()`).
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class SharedMemoryParams(Params):
    workers: int = Field(4, ge=1, le=8, description="worker processes, each fills one slice")
    size: int = Field(32, ge=1, le=256, description="length of the shared Array")
    delay_ms: int = Field(60, ge=0, le=1000, description="slow motion: pause after each cell")


def worker(rep: Reporter, squares: Any, total: Any, start: int, stop: int, delay_ms: int) -> None:
    for i in range(start, stop):
        squares[i] = i * i  # shared memory: the parent sees this write, no copy is sent back
        rep.emit("array.write", name="squares", index=i, value=i * i)
        with total.get_lock():  # += is read-then-write: hold the Value's lock
            total.value += i * i
            rep.emit("value.write", name="total", value=total.value)
        if delay_ms:
            time.sleep(delay_ms / 1000)


def slices(size: int, workers: int) -> list[tuple[int, int]]:
    """[start, stop) of each worker's part of the array: as equal as possible, in order."""
    return [(w * size // workers, (w + 1) * size // workers) for w in range(workers)]


class SharedMemory(Scenario[SharedMemoryParams]):
    id = "shared_memory"
    title = "Value and Array: shared memory"
    title_zh = "Value 與 Array：共享記憶體"
    concepts = ("Value", "Array", "shared memory", "get_lock")
    explanation = {
        "en": (
            "multiprocessing.Array and multiprocessing.Value live in shared memory: every process "
            "writes into the same bytes, and the main process reads the results in place, with nothing "
            "sent back. Each worker fills its own slice of the array with squares (cell i gets i × i): "
            "watch the cells light up in the colour of the worker that wrote them, several slices at "
            "once. Every worker also adds its squares to one shared Value, holding the Value's lock "
            "(with total.get_lock()) so that no addition is lost: at the end the total is exactly the "
            "sum of the array."
        ),
        "zh": (
            "multiprocessing.Array 和 multiprocessing.Value 位於共享記憶體中:每個進程都寫入同一塊位元組,"
            "主進程直接就地讀取結果,不需要把任何東西傳回來。每個工作進程把陣列中屬於自己的一段填上平方數"
            "(第 i 格填入 i × i):請看各格依寫入它的進程的顏色亮起,好幾段同時進行。每個工作進程也把它的"
            "平方數加到同一個共享的 Value 上,加的時候持有 Value 的鎖(with total.get_lock()),所以不會"
            "遺失任何一次加法:最後的總和正好等於陣列各格的總和。"
        ),
    }
    Params = SharedMemoryParams
    presets = {
        "slow motion": {"workers": 4, "size": 32, "delay_ms": 150},
        "one worker": {"workers": 1, "size": 32, "delay_ms": 40},
        "big array": {"workers": 8, "size": 256, "delay_ms": 10},
    }

    def processes(self, params: SharedMemoryParams) -> int:
        return params.workers + 1

    def run(self, ctx: RunContext, params: SharedMemoryParams) -> dict[str, Any]:
        squares = ctx.mp.Array("i", params.size)  # 'i': C ints, all 0, in shared memory
        total = ctx.mp.Value("q", 0)  # 'q': a 64-bit int, with its own lock
        procs = [
            ctx.Process(worker, (squares, total, start, stop, params.delay_ms), name=f"Process-{w}")
            for w, (start, stop) in enumerate(slices(params.size, params.workers))
        ]
        ctx.start_all(procs)
        ctx.join_all(procs)
        array = list(squares[:])  # read in place: the workers' writes are already here
        ctx.rep.emit("value.read", name="total", value=total.value)
        expected_array = [i * i for i in range(params.size)]
        return {
            "value": total.value,
            "expected_value": sum(expected_array),
            "array": array,
            "expected_array": expected_array,
        }
