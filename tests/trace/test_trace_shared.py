"""`mpscope trace` of shared memory: RawValue, RawArray, Value/Array(lock=False), sharedctypes.synchronized
and copy; shared_memory.SharedMemory, ShareableList and SharedMemoryManager. Each in a program of its
own, under every start method, with the exact number of events on each process's lane, and each write
inside that process's lock hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

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


def check_raw_array_lock(events: list[Event], method: str) -> None:
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


def check_raw_value_lock(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == [f"adder-{i}" for i in range(4)]
    n = Counter({lane: 5 for lane in lanes})
    assert on_lanes(events, "value.write", name="counter") == n
    assert on_lanes(events, "value.read", name="counter") == n + Counter({"MainProcess": 1})
    assert on_lanes(events, "lock.acquired", lock="guard") == n
    inside_hold(events, "value.write", "counter", "guard")
    assert sorted(e["data"]["value"] for e in of(events, "value.write")) == list(range(1, 21))


def check_value_nolock(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1"]
    n = Counter({lane: 3 for lane in lanes})
    assert on_lanes(events, "value.write", name="total") == n
    assert on_lanes(events, "value.read", name="total") == n + Counter({"MainProcess": 1})
    inside_hold(events, "value.write", "total", "guard")
    assert sorted(e["data"]["value"] for e in of(events, "value.write")) == [1.5 * i for i in range(1, 7)]
    assert not of(events, "lock.acquired", lock="total.get_lock()")  # it has none


def check_array_nolock(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["filler-0", "filler-1", "filler-2"]
    writes = of(events, "array.write", name="squares")
    assert Counter(e["proc"] for e in writes) == Counter({lane: 2 for lane in lanes})
    assert sorted((e["proc"], e["data"]["index"], e["data"]["value"]) for e in writes) == [
        (f"filler-{i // 2}", i, i * i) for i in range(6)
    ]
    (read,) = of(events, "array.read", name="squares")  # squares[:]: one read of a slice
    assert read["proc"] == "MainProcess" and read["data"]["index"] == [0, 6, 1]


def check_synchronized_raw(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1", "adder-2"]
    n = Counter({lane: 4 for lane in lanes})
    # reported once, by the wrapper: the RawValue inside it is the same "total", not counted twice
    assert on_lanes(events, "value.write", name="total") == n
    assert on_lanes(events, "value.read", name="total") == n + Counter({"MainProcess": 1})
    assert on_lanes(events, "lock.acquired", lock="total.get_lock()") == n
    inside_hold(events, "value.write", "total", "total.get_lock()")
    assert sorted(e["data"]["value"] for e in of(events, "value.write")) == list(range(1, 13))


def check_copy_raw(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["doubler-0", "doubler-1"]
    n = Counter({lane: 3 for lane in lanes})
    assert on_lanes(events, "array.write", name="snapshot") == n
    assert on_lanes(events, "array.read", name="snapshot") == n + Counter({"MainProcess": 1})
    assert on_lanes(events, "array.read", name="original") == Counter({"MainProcess": 1})
    assert not of(events, "array.write", name="original")
    inside_hold(events, "array.write", "snapshot", "guard")


def check_shm_segment(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["writer-0", "writer-1"]
    (create,) = of(events, "shm.create")
    assert create["proc"] == "MainProcess" and create["data"]["shm"] == "block"
    assert create["data"]["size"] >= 16
    segment = create["data"]["segment"]
    for kind in ("shm.attach", "shm.close"):  # each writer attaches by name and closes its view
        assert on_lanes(events, kind, shm="view", segment=segment) == Counter(list(lanes)), kind
    assert all(e["data"]["size"] == create["data"]["size"] for e in of(events, "shm.attach"))
    assert on_lanes(events, "shm.close", shm="block") == Counter({"MainProcess": 1})
    assert on_lanes(events, "shm.unlink", shm="block", segment=segment) == Counter({"MainProcess": 1})
    assert len(of(events, "shm.close")) == 3 and len(of(events, "shm.unlink")) == 1  # not the GC's


def check_shareable_list(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1"]
    (create,) = of(events, "shm.create")
    segment = create["data"]["segment"]
    assert create["proc"] == "MainProcess" and create["data"]["shm"] == "totals.shm"
    assert on_lanes(events, "shm.attach", shm="items.shm", segment=segment) == Counter(list(lanes))
    n = Counter({lane: 5 for lane in lanes})
    assert on_lanes(events, "array.write", name="items", shm=segment) == n
    assert on_lanes(events, "array.read", name="items", shm=segment) == n
    inside_hold(events, "array.write", "items", "guard")
    assert sorted(e["data"]["index"] for e in of(events, "array.write")) == sorted([0, 1, 2, 0, 1] * 2)
    reads = [e["data"]["value"] for e in of(events, "array.read", name="totals")]
    assert reads == [4, 4, 2] and on_lanes(events, "array.read", name="totals") == Counter({"MainProcess": 3})
    assert on_lanes(events, "shm.close") == Counter({"MainProcess": 1, "adder-0": 1, "adder-1": 1})
    assert on_lanes(events, "shm.unlink", shm="totals.shm") == Counter({"MainProcess": 1})


def check_shm_manager(events: list[Event], method: str) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["SharedMemoryManager-1", "marker-0", "marker-1"]
    creates = {e["data"]["shm"]: e for e in of(events, "shm.create")}
    assert sorted(creates) == ["flags.shm", "scratch"]
    assert all(e["proc"] == "MainProcess" and e["data"]["manager"] for e in creates.values())
    assert creates["scratch"]["data"]["size"] >= 64
    segments = sorted(e["data"]["segment"] for e in creates.values())
    # the manager's server unlinks both at the end of the `with`, on its own lane
    unlinks = of(events, "shm.unlink")
    assert sorted(e["data"]["segment"] for e in unlinks) == segments
    assert {e["proc"] for e in unlinks} == {"SharedMemoryManager-1"}
    markers = ["marker-0", "marker-1"]
    writes = of(events, "array.write", name="flags")
    assert sorted((e["proc"], e["data"]["index"], e["data"]["value"]) for e in writes) == [
        ("marker-0", 0, 100),
        ("marker-1", 1, 101),
    ]
    assert on_lanes(events, "array.read", name="flags") == Counter({"MainProcess": 2})
    # the list crosses to each child by pickle under spawn and forkserver (an attach there); fork inherits it
    attached = Counter() if method == "fork" else Counter(markers)
    assert on_lanes(events, "shm.attach", shm="flags.shm") == attached


Check = Callable[[list[Event], str], None]
PROGRAMS: list[tuple[str, Check]] = [
    ("raw_array_lock.py", check_raw_array_lock),
    ("raw_value_lock.py", check_raw_value_lock),
    ("value_nolock.py", check_value_nolock),
    ("array_nolock.py", check_array_nolock),
    ("synchronized_raw.py", check_synchronized_raw),
    ("copy_raw.py", check_copy_raw),
    ("shm_segment.py", check_shm_segment),
    ("shareable_list.py", check_shareable_list),
    ("shm_manager.py", check_shm_manager),
]


def run_program(script: str, method: str, tmp_path: Path) -> list[Event]:
    plain, traced, events = run_plain_and_traced(script, [method], [method], tmp_path / "t.ndjson")
    assert plain.code == 0, plain.stderr
    assert traced.code == plain.code, traced.stderr
    assert traced.stdout == plain.stdout
    assert plain.stdout.strip(), "the program printed its result"
    assert plain.stderr == "" and traced.stderr == tracer_notes(events), "no mpscope noise on stderr"
    check_common(events, 0, method)
    return events


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p[0].removesuffix(".py"))
def test_shared_memory_is_traced(program: tuple[str, Check], method: str, tmp_path: Path) -> None:
    script, check = program
    check(run_program(script, method, tmp_path), method)
