"""The programs bench/trace.py runs plainly and under each tracer, and what each must record.

Long ones (issue 7: a Lock-guarded counter, a 100,000-item Queue, a Pool.map; seconds each) measure the
cost per event; short ones (issue 14: ~50 ms, what students mostly write) measure the cost of starting
and ending a trace, which dominates there.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Program:
    name: str
    script: str
    full: list[str]
    quick: list[str]
    # (mpscope per-kind counts, program argv) -> {check: (seen, expected)}
    expect: Callable[[Counter[str], list[str]], dict[str, tuple[int, int]]]
    # VizTracer entries (function names, as it records them) that each stand for one operation
    viz_names: tuple[str, ...]
    viz_expected: Callable[[list[str]], int]
    short: bool = False  # ~50 ms: the target is mpscope's slowdown <= VizTracer's (long: <= half of it)


def _lock_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    total = int(argv[0]) * int(argv[1])
    return {
        "lock.acquired:lock": (kinds["lock.acquired:lock"], total),
        "lock.released:lock": (kinds["lock.released:lock"], total),
        "value.write:counter": (kinds["value.write:counter"], total),
        "value.read:counter": (kinds["value.read:counter"], total + 1),  # + main's final print
    }


def _queue_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    items = int(argv[0])
    return {"queue.put:q": (kinds["queue.put:q"], items), "queue.get:q": (kinds["queue.get:q"], items)}


def _chunks(tasks: int, workers: int = 4) -> int:
    """How many chunks Pool.map makes of `tasks` with its default chunksize (multiprocessing/pool.py)."""
    chunksize, extra = divmod(tasks, workers * 4)
    if extra:
        chunksize += 1
    return -(-tasks // chunksize) if tasks else 0


def _pool_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    chunks = _chunks(int(argv[0]))
    return {
        "pool.call": (kinds["pool.call"], 1),
        "pool.task.start": (kinds["pool.task.start"], chunks),
        "pool.task.end": (kinds["pool.task.end"], chunks),
        "pool.result": (kinds["pool.result"], chunks),
    }


ALL = [
    Program(
        "lock_counter",
        "lock_counter.py",
        ["40000", "4"],
        ["10000", "4"],
        _lock_expect,
        ("SemLock.__enter__",),  # `with lock:` (the Value's own lock is taken with .acquire())
        lambda argv: int(argv[0]) * int(argv[1]),
    ),
    Program(
        "queue_100k",
        "queue_100k.py",
        ["100000"],
        ["20000"],
        _queue_expect,
        ("Queue.put", "Queue.get"),
        lambda argv: 2 * int(argv[0]) + 2,  # + the result on `out`: one put, one get
    ),
    Program(
        "pool_map",
        "pool_map.py",
        ["8000"],
        ["4000"],
        _pool_expect,
        ("square_sum",),
        lambda argv: int(argv[0]),
    ),
]


def _short_array_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    total = int(argv[0]) * int(argv[1])
    return {
        "lock.acquired:guard": (kinds["lock.acquired:guard"], total),
        "lock.released:guard": (kinds["lock.released:guard"], total),
        "array.write:cells": (kinds["array.write:cells"], total),
        "array.read:cells": (kinds["array.read:cells"], total + 4),  # + main's sum() of the 4 cells
    }


def _short_pipeline_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    items = int(argv[0]) + 1  # + the None that ends each stage
    keys = [f"queue.{op}:{q}" for q in ("first", "second") for op in ("put", "get")]
    return {key: (kinds[key], items) for key in keys}


def _short_pool_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    chunks = _chunks(int(argv[0]), workers=2)
    return {
        "pool.call": (kinds["pool.call"], 1),
        "pool.task.start": (kinds["pool.task.start"], chunks),
        "pool.task.end": (kinds["pool.task.end"], chunks),
        "pool.result": (kinds["pool.result"], chunks),
    }


def _short_pingpong_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    messages = 2 * int(argv[0])  # each round: one send and one recv at each end
    return {"pipe.send": (kinds["pipe.send"], messages), "pipe.recv": (kinds["pipe.recv"], messages)}


def _short_manager_expect(kinds: Counter[str], argv: list[str]) -> dict[str, tuple[int, int]]:
    writes = int(argv[0]) * int(argv[1])
    return {"manager.call": (kinds["manager.call"], writes + 1)}  # + main's items()


SHORT = [
    Program(
        "short_raw_array",
        "short_raw_array.py",
        ["200", "2"],
        ["200", "2"],
        _short_array_expect,
        ("SemLock.__enter__",),
        lambda argv: int(argv[0]) * int(argv[1]),
        short=True,
    ),
    Program(
        "short_pipeline",
        "short_pipeline.py",
        ["300"],
        ["300"],
        _short_pipeline_expect,
        ("Queue.put", "Queue.get"),
        lambda argv: 4 * (int(argv[0]) + 1),
        short=True,
    ),
    Program(
        "short_pool",
        "short_pool.py",
        ["200"],
        ["200"],
        _short_pool_expect,
        ("cube",),
        lambda argv: int(argv[0]),
        short=True,
    ),
    Program(
        "short_pingpong",
        "short_pingpong.py",
        ["300"],
        ["300"],
        _short_pingpong_expect,
        ("_ConnectionBase.send", "_ConnectionBase.recv"),
        lambda argv: 4 * int(argv[0]),
        short=True,
    ),
    Program(
        "short_manager",
        "short_manager.py",
        ["20", "2"],
        ["20", "2"],
        _short_manager_expect,
        ("BaseProxy._callmethod",),
        lambda argv: int(argv[0]) * int(argv[1]) + 1,
        short=True,
    ),
]
