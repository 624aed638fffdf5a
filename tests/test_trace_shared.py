"""`mpscope trace` of raw shared memory (issue 7, part 2): RawValue, RawArray, Value/Array(lock=False),
sharedctypes.synchronized and copy, each in a program of its own, under every start method, with the
exact number of reads and writes on each process's lane, and each write inside that process's lock hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_trace import (
    METHODS,
    Event,
    Program,
    check_common,
    exact,
    main_pid,
    of,
    on_lanes,
    run_plain_and_traced,
    started,
)


def inside_hold(events: list[Event], kind: str, name: str, lock: str) -> None:
    """Every `kind` event of `name` on a child lane comes between that lane's lock.acquired and
    lock.released of `lock` (one process's events arrive in the order it made them)."""
    for lane in started(events):
        held = False
        for e in (e for e in events if e["proc"] == lane):
            if e["kind"] == "lock.acquired" and e["data"]["lock"] == lock:
                assert not held
                held = True
            elif e["kind"] == "lock.released" and e["data"]["lock"] == lock:
                assert held
                held = False
            elif e["kind"] == kind and e["data"].get("name") == name:
                assert held, (lane, e)


def check_raw_array_lock(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1", "adder-2"]
    n = Counter({lane: 4 for lane in lanes})  # ROUNDS per process, N*K = 12 in all
    assert on_lanes(events, "array.write", name="cells") == n
    assert on_lanes(events, "array.read", name="cells") == n + Counter({"MainProcess": 3})  # list(cells)
    assert on_lanes(events, "lock.acquired", lock="guard") == n
    assert on_lanes(events, "lock.released", lock="guard") == n
    inside_hold(events, "array.write", "cells", "guard")
    inside_hold(events, "array.read", "cells", "guard")
    assert sorted(e["data"]["index"] for e in of(events, "array.write")) == sorted([0, 1, 2, 0] * 3)
    final = [e["data"]["value"] for e in of(events, "array.read") if e["proc"] == "MainProcess"]
    assert final == [6, 3, 3]


def check_raw_value_lock(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == [f"adder-{i}" for i in range(4)]
    n = Counter({lane: 5 for lane in lanes})
    assert on_lanes(events, "value.write", name="counter") == n
    assert on_lanes(events, "value.read", name="counter") == n + Counter({"MainProcess": 1})
    assert on_lanes(events, "lock.acquired", lock="guard") == n
    inside_hold(events, "value.write", "counter", "guard")
    assert sorted(e["data"]["value"] for e in of(events, "value.write")) == list(range(1, 21))


def check_value_nolock(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1"]
    n = Counter({lane: 3 for lane in lanes})
    assert on_lanes(events, "value.write", name="total") == n
    assert on_lanes(events, "value.read", name="total") == n + Counter({"MainProcess": 1})
    inside_hold(events, "value.write", "total", "guard")
    assert sorted(e["data"]["value"] for e in of(events, "value.write")) == [1.5 * i for i in range(1, 7)]
    assert not of(events, "lock.acquired", lock="total.get_lock()")  # it has none


def check_array_nolock(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["filler-0", "filler-1", "filler-2"]
    writes = of(events, "array.write", name="squares")
    assert Counter(e["proc"] for e in writes) == Counter({lane: 2 for lane in lanes})
    assert sorted((e["proc"], e["data"]["index"], e["data"]["value"]) for e in writes) == [
        (f"filler-{i // 2}", i, i * i) for i in range(6)
    ]
    (read,) = of(events, "array.read", name="squares")  # squares[:]: one read of a slice
    assert read["proc"] == "MainProcess" and read["data"]["index"] == [0, 6, 1]


def check_synchronized_raw(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1", "adder-2"]
    n = Counter({lane: 4 for lane in lanes})
    # reported once, by the wrapper: the RawValue inside it is the same "total", not counted twice
    assert on_lanes(events, "value.write", name="total") == n
    assert on_lanes(events, "value.read", name="total") == n + Counter({"MainProcess": 1})
    assert on_lanes(events, "lock.acquired", lock="total.get_lock()") == n
    inside_hold(events, "value.write", "total", "total.get_lock()")
    assert sorted(e["data"]["value"] for e in of(events, "value.write")) == list(range(1, 13))


def check_copy_raw(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["doubler-0", "doubler-1"]
    n = Counter({lane: 3 for lane in lanes})
    assert on_lanes(events, "array.write", name="snapshot") == n
    assert on_lanes(events, "array.read", name="snapshot") == n + Counter({"MainProcess": 1})
    assert on_lanes(events, "array.read", name="original") == Counter({"MainProcess": 1})
    assert not of(events, "array.write", name="original")
    inside_hold(events, "array.write", "snapshot", "guard")


PROGRAMS: list[Program] = [
    Program("raw_array_lock.py", 0, exact, check_raw_array_lock),
    Program("raw_value_lock.py", 0, exact, check_raw_value_lock),
    Program("value_nolock.py", 0, exact, check_value_nolock),
    Program("array_nolock.py", 0, exact, check_array_nolock),
    Program("synchronized_raw.py", 0, exact, check_synchronized_raw),
    Program("copy_raw.py", 0, exact, check_copy_raw),
]


def run_program(program: Program, method: str, tmp_path: Path) -> list[Event]:
    plain, traced, events = run_plain_and_traced(program.script, [method], [method], tmp_path / "t.ndjson")
    assert plain.code == program.code, plain.stderr
    assert traced.code == plain.code, traced.stderr
    assert program.compare(traced.stdout) == program.compare(plain.stdout)
    assert plain.stdout.strip(), "the program printed its result"
    assert traced.stderr == plain.stderr == "", "no mpscope noise on stderr for a clean program"
    check_common(events, program.code, method)
    return events


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.script.removesuffix(".py"))
def test_raw_shared_memory_is_traced(program: Program, method: str, tmp_path: Path) -> None:
    events = run_program(program, method, tmp_path)
    check: Callable[[list[Event], int], None] = program.check
    check(events, main_pid(events))
