"""`mpscope trace` of threads: each thread the program starts on a lane of its own ("<process>/<thread>"),
its start, exit and join; threading's Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition and
Barrier, queue.Queue and SimpleQueue, ThreadPoolExecutor and multiprocessing.dummy.Pool, each in a program
of its own under every start method, with exact counts per lane where the program fixes them. The
stdlib's own threads (queue feeders, pool handlers, an executor's manager) get no lane.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.trace.programs import (
    METHODS,
    Event,
    check_common,
    of,
    on_lanes,
    run_plain_and_traced,
    started,
    tracer_notes,
)


def thread_lanes(events: list[Event]) -> set[str]:
    return {e["proc"] for e in events if "/" in e["proc"]}


def check_threads(events: list[Event], process: str, names: list[str], joined: bool = True) -> list[str]:
    """Each named thread: a lane "<process>/<name>" with one thread.start and one thread.exit, and one
    thread.join when the program joins it; no other thread lane."""
    lanes = [f"{process}/{n}" for n in names]
    assert thread_lanes(events) == set(lanes)
    for kind in ("thread.start", "thread.exit", *(["thread.join"] if joined else [])):
        assert on_lanes(events, kind) == Counter(lanes), kind
    for e in of(events, "thread.start"):
        assert e["proc"] == f"{process}/{e['data']['thread']}" and isinstance(e["data"]["ident"], int)
    pids = {e["pid"] for e in events if e["proc"].startswith(f"{process}/")}
    assert len(pids) == 1  # the process's own pid
    check_tids(events)
    return lanes


def check_tids(events: list[Event]) -> None:
    """Every event a thread says on its lane names it: the lane is its name, `tid` its id (the ident of
    its thread.start); a thread.join is said by the joiner. Events off threads' lanes have no tid."""
    ident = {e["proc"]: e["data"]["ident"] for e in of(events, "thread.start")}
    for e in events:
        if e["proc"] in ident and e["kind"] != "thread.join":
            assert e["data"].get("tid") == ident[e["proc"]], e
        elif e["kind"] != "thread.join":
            assert "tid" not in (e["data"] or {}), e


def apis(events: list[Event], prefix: str) -> set[str]:
    return {e["data"].get("api") for e in events if e["kind"].startswith(prefix)}


def check_thread_lock(events: list[Event], method: str) -> None:
    assert sorted(started(events)) == ["host"]
    lanes = check_threads(events, "host", ["T-0", "T-1", "T-2"])
    n = Counter({lane: 4 for lane in lanes}) + Counter({"host": 1})  # and the host's own acquire(False)
    assert on_lanes(events, "lock.acquired", lock="lock") == n
    assert on_lanes(events, "lock.released", lock="lock") == n
    assert apis(events, "lock.") == {"threading"}
    assert not [e for e in of(events, "lock.wait", lock="lock") if e["proc"] == "host"]


def check_thread_rlock(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", ["R-0", "R-1"])
    n = Counter({lane: 6 for lane in lanes})  # 3 rounds, nested twice
    assert on_lanes(events, "lock.acquired", lock="rlock") == n
    assert on_lanes(events, "lock.released", lock="rlock") == n


def check_thread_semaphore(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", [f"S-{k}" for k in range(4)])
    n = Counter({lane: 2 for lane in lanes})
    for name, most in (("slots", 2), ("single", 1)):
        assert on_lanes(events, "semaphore.acquired", semaphore=name) == n
        assert on_lanes(events, "semaphore.released", semaphore=name) == n
        assert all(0 < e["data"]["inside"] <= most for e in of(events, "semaphore.acquired", semaphore=name))
    assert apis(events, "semaphore.") == {"threading"}


def check_thread_event(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", ["W-0", "W-1", "W-2"])
    assert on_lanes(events, "event.wait", event="go") == Counter(lanes)
    assert [e["data"]["set"] for e in of(events, "event.passed", event="go")] == [True] * 3
    assert on_lanes(events, "event.set", event="go") == Counter({"MainProcess": 1})
    assert on_lanes(events, "semaphore.released", semaphore="ready") == Counter(lanes)
    assert on_lanes(events, "semaphore.acquired", semaphore="ready") == Counter({"MainProcess": 3})


def check_thread_condition(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", ["C-0", "C-1", "P"])
    notes = of(events, "condition.notify", condition="cond")
    assert {e["proc"] for e in notes} == {"MainProcess/P"}
    assert [e["data"]["n"] for e in notes] == [1, 1, 1, 1, "all"]  # notify_all once, not twice
    waits = on_lanes(events, "condition.wait", condition="cond")
    assert waits == on_lanes(events, "condition.woken", condition="cond")
    assert set(waits) <= set(lanes[:2])


def check_thread_barrier(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", ["B-0", "B-1", "B-2"])
    n = Counter({lane: 2 for lane in lanes})
    assert on_lanes(events, "barrier.wait", barrier="meet") == n
    assert on_lanes(events, "barrier.passed", barrier="meet") == n
    assert sorted(e["data"]["index"] for e in of(events, "barrier.passed")) == [0, 0, 1, 1, 2, 2]
    assert all(e["data"]["parties"] == 3 for e in of(events, "barrier.wait"))


def check_thread_queue(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", ["producer", "consumer-0", "consumer-1"])
    assert on_lanes(events, "queue.put", queue="jobs") == Counter({lanes[0]: 6})
    assert [e["data"]["item"] for e in of(events, "queue.put")] == list(range(6))
    consumers = Counter({lane: 3 for lane in lanes[1:]})
    assert on_lanes(events, "queue.get", queue="jobs") == consumers
    assert on_lanes(events, "queue.task_done", queue="jobs") == consumers
    for kind in ("queue.join_wait", "queue.joined"):
        assert on_lanes(events, kind, queue="jobs") == Counter({"MainProcess": 1})
    assert all(e["data"]["depth"] <= 2 for e in of(events, "queue.put"))
    assert apis(events, "queue.") == {"queue"}


def check_thread_simplequeue(events: list[Event], method: str) -> None:
    lanes = check_threads(events, "MainProcess", ["sender-0", "sender-1"])
    assert on_lanes(events, "queue.put", queue="inbox") == Counter({lane: 3 for lane in lanes})
    assert on_lanes(events, "queue.get", queue="inbox") == Counter({"MainProcess": 6})


def check_thread_executor(events: list[Event], method: str) -> None:
    workers = {"MainProcess/tpe_0", "MainProcess/tpe_1"}
    assert thread_lanes(events) <= workers and "MainProcess/tpe_0" in thread_lanes(events)
    assert on_lanes(events, "pool.call", method="submit") == Counter({"MainProcess": 8})  # 5 + map's 3
    tasks: dict[str, set[str]] = {}
    for kind in ("pool.task.start", "pool.task.end"):
        assert sum(on_lanes(events, kind).values()) == 8 and set(on_lanes(events, kind)) <= workers
        tasks[kind] = {e["data"]["task"] for e in of(events, kind)}
    assert on_lanes(events, "pool.result") == Counter({"MainProcess": 8})
    assert {e["data"]["task"] for e in of(events, "pool.result")} == tasks["pool.task.end"]
    results = sorted(e["data"]["result"] for e in of(events, "pool.task.end"))
    assert results == sorted([n * n for n in range(5)] + [100, 121, 144])
    for lane in thread_lanes(events):
        assert on_lanes(events, "thread.start")[lane] == on_lanes(events, "thread.exit")[lane] == 1


def check_interp_pool(events: list[Event], method: str) -> None:
    """Each worker of an InterpreterPoolExecutor is a thread that owns one interpreter and runs its
    tasks there: its lane is that interpreter's, with a pool's task events, as a ThreadPoolExecutor's."""
    workers = {"MainProcess/interp_0", "MainProcess/interp_1"}
    assert thread_lanes(events) <= workers and "MainProcess/interp_0" in thread_lanes(events)
    assert on_lanes(events, "pool.call", method="submit") == Counter({"MainProcess": 7})  # 4 + map's 3
    for kind in ("pool.task.start", "pool.task.end"):
        assert sum(on_lanes(events, kind).values()) == 7 and set(on_lanes(events, kind)) <= workers
    assert on_lanes(events, "pool.result") == Counter({"MainProcess": 7})
    results = sorted(e["data"]["result"] for e in of(events, "pool.task.end"))
    assert results == sorted(math.factorial(n) for n in [0, 1, 2, 3, 5, 6, 7])
    # one interpreter per worker lane, never the main one (id 0), a different one on each lane
    interps = {
        lane: {e["data"]["interp"] for e in of(events, "pool.task.start") if e["proc"] == lane}
        for lane in workers
    }
    used = [ids for ids in interps.values() if ids]
    assert all(len(ids) == 1 and 0 not in ids for ids in used) and len(set.union(*used)) == len(used)
    for lane in thread_lanes(events):
        assert on_lanes(events, "thread.start")[lane] == on_lanes(events, "thread.exit")[lane] == 1


def check_threads_vs_processes(events: list[Event], method: str) -> None:
    """The GIL view's inputs: each thread's thread.exit carries the CPU seconds it used, each child's own
    process.exit those of its process (the parent's note of a killed child would have none)."""
    assert sorted(started(events)) == ["cpu-P0", "cpu-P1"]
    lanes = check_threads(events, "MainProcess", ["cpu-T0", "cpu-T1"])
    for e in of(events, "thread.exit"):
        assert isinstance(e["data"]["cpu_s"], float) and e["data"]["cpu_s"] > 0, e  # a pure-Python loop
    # each child's own exit; not MainProcess's (the tracer says it, with the program's exit code)
    own_exits = [e for e in of(events, "process.exit") if "cpu_s" in e["data"]]
    assert on_lanes(own_exits, "process.exit") == Counter({"cpu-P0": 1, "cpu-P1": 1})
    for e in own_exits:
        assert e["data"]["exitcode"] == 0 and isinstance(e["data"]["cpu_s"], float) and e["data"]["cpu_s"] > 0
    # a thread's CPU seconds are its own: none of them counts the main thread's or the other's
    assert len({e["data"]["cpu_s"] for e in of(events, "thread.exit")}) == len(lanes)


def check_thread_same_name(events: list[Event], method: str) -> None:
    """Two live threads named "worker": the first on "MainProcess/worker", the second on
    "MainProcess/worker [<its ident>]" (whichever starts second), each with its own counts."""
    starts = of(events, "thread.start")
    assert [e["data"]["thread"] for e in starts] == ["worker", "worker"]
    first, second = sorted(starts, key=lambda e: e["seq"])
    lanes = ["MainProcess/worker", f"MainProcess/worker [{second['data']['ident']}]"]
    assert first["proc"] == lanes[0] and second["proc"] == lanes[1]
    assert thread_lanes(events) == set(lanes)
    for kind in ("thread.start", "thread.exit", "thread.join", "barrier.wait", "barrier.passed"):
        assert on_lanes(events, kind) == Counter(lanes), kind
    for kind in ("lock.acquired", "lock.released"):
        assert on_lanes(events, kind, lock="lock") == Counter({lane: 3 for lane in lanes}), kind
    check_tids(events)


def check_dummy_pool(events: list[Event], method: str) -> None:
    assert [e["data"]["method"] for e in of(events, "pool.call")] == ["map"]
    workers = thread_lanes(events)
    assert len(workers) == 2 and all(w.startswith("MainProcess/") for w in workers)
    for kind in ("pool.task.start", "pool.task.end"):
        assert sum(on_lanes(events, kind).values()) == 3 and set(on_lanes(events, kind)) <= workers
    assert on_lanes(events, "pool.result") == Counter({"MainProcess": 3})  # 6 items in chunks of 2


Check = Callable[[list[Event], str], None]
PROGRAMS: list[Any] = [  # (program, check), or a pytest.param of one
    ("thread_lock.py", check_thread_lock),
    ("thread_same_name.py", check_thread_same_name),
    ("thread_rlock.py", check_thread_rlock),
    ("thread_semaphore.py", check_thread_semaphore),
    ("thread_event.py", check_thread_event),
    ("thread_condition.py", check_thread_condition),
    ("thread_barrier.py", check_thread_barrier),
    ("thread_queue.py", check_thread_queue),
    ("thread_simplequeue.py", check_thread_simplequeue),
    ("thread_executor.py", check_thread_executor),
    ("dummy_pool.py", check_dummy_pool),
    ("threads_vs_processes.py", check_threads_vs_processes),
    pytest.param(
        ("interp_pool.py", check_interp_pool),
        marks=pytest.mark.skipif(sys.version_info < (3, 14), reason="InterpreterPoolExecutor: Python 3.14+"),
    ),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p[0].removesuffix(".py"))
def test_threads_are_traced(program: tuple[str, Check], method: str, tmp_path: Path) -> None:
    script, check = program
    plain, traced, events = run_plain_and_traced(script, [method], [method], tmp_path / "t.ndjson")
    assert plain.code == 0, plain.stderr
    assert traced.code == 0, traced.stderr
    assert traced.stdout == plain.stdout and plain.stdout.strip()
    assert plain.stderr == "" and traced.stderr == tracer_notes(events), "no mpscope noise on stderr"
    check_common(events, 0, method)
    check(events, method)
