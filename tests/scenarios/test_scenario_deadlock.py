"""The deadlock scenario: opposite lock order deadlocks (and the run still ends, by the timeout);
one global lock order never does."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, finished, with_manager
from tests.plugins import TEST_REGISTRY

PRESETS = TEST_REGISTRY["deadlock"].presets
FAST = {"rounds": 3, "hold_ms": 100, "timeout_ms": 300}
CYCLE = [["A", "lock1", "lock2"], ["B", "lock2", "lock1"]]
# A run's deadlock ends by its locks' timeouts, in ~1-3 s: the guard is 10x+ that (a hang, not slowness).
DEADLOCK_HANG_GUARD_S = 30


def run_deadlock(params: dict[str, Any], method: str) -> Run:
    async def body(m: Engine) -> Run:
        return await finished(await m.start("deadlock", params, method), DEADLOCK_HANG_GUARD_S)

    run = with_manager(body)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run


def holds(evs: list[dict[str, Any]]) -> dict[str, list[tuple[int, int, str]]]:
    """lock -> [(acquired t, released t, process)], from the stream."""
    open_: dict[tuple[str, str], int] = {}
    out: dict[str, list[tuple[int, int, str]]] = {"lock1": [], "lock2": []}
    for e in sorted(evs, key=lambda e: e["t"]):
        key = (e["proc"], e["data"].get("lock", ""))
        if e["kind"] == "lock.acquired":
            open_[key] = e["t"]
        elif e["kind"] == "lock.released":
            out[key[1]].append((open_.pop(key), e["t"], key[0]))
    assert not open_, f"locks never released: {open_}"
    return out


def check_mutual_exclusion(evs: list[dict[str, Any]]) -> None:
    for lock, spans in holds(evs).items():
        spans.sort()
        for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
            assert end <= start, f"two processes held {lock} at once"


def check_clean_exit(evs: list[dict[str, Any]]) -> None:
    exits = {e["proc"]: e["data"]["exitcode"] for e in evs if e["kind"] == "process.exit"}
    assert exits == {"A": 0, "B": 0}


@pytest.mark.parametrize("method", METHODS)
def test_opposite_order_deadlocks_and_the_timeout_ends_it(method: str) -> None:
    params = {**PRESETS["deadlock"], **FAST}
    run = run_deadlock(params, method)
    r = run.result
    assert r["deadlocked"] is True and r["cycle"] == CYCLE and r["fix"] is False
    assert 1 <= r["timeouts"] <= 2 and r["gave_up"] and set(r["gave_up"]) <= {"A", "B"}

    evs = events(run)
    timeouts = [e for e in evs if e["kind"] == "lock.timeout"]
    assert sorted(e["proc"] for e in timeouts) == r["gave_up"]
    for e in timeouts:  # each waited for the other's first lock, holding its own, for the whole timeout
        assert (e["data"]["lock"], e["data"]["held"]) == (
            ("lock2", ["lock1"]) if e["proc"] == "A" else ("lock1", ["lock2"])
        )
        assert e["data"]["waited_ms"] >= params["timeout_ms"] * 0.95  # a lower bound: slowness only adds
    detected = [e for e in evs if e["kind"] == "deadlock.detected"]
    assert detected and all(e["data"]["cycle"] == CYCLE for e in detected)
    # The cycle really was there: when the first timeout fired, A held lock1 and B held lock2.
    first = min(timeouts, key=lambda e: e["t"])
    h = holds(evs)
    for lock, proc in (("lock1", "A"), ("lock2", "B")):
        assert any(p == proc and a < first["t"] < b for a, b, p in h[lock]), (lock, proc)
    # A process that gave up stopped; the other finished all of its rounds once the cycle broke.
    rounds = {p: sum(1 for e in evs if e["kind"] == "log" and e["proc"] == p) for p in ("A", "B")}
    for p in ("A", "B"):
        assert (rounds[p] < params["rounds"]) if p in r["gave_up"] else (rounds[p] == params["rounds"])
    check_mutual_exclusion(evs)
    check_clean_exit(evs)


@pytest.mark.parametrize("method", METHODS)
def test_one_lock_order_never_deadlocks(method: str) -> None:
    params = {**PRESETS["fixed (lock order)"], **FAST, "rounds": 5}
    run = run_deadlock(params, method)
    assert run.result == {"deadlocked": False, "cycle": None, "timeouts": 0, "gave_up": [], "fix": True}
    evs = events(run)
    assert not [e for e in evs if e["kind"] in ("lock.timeout", "deadlock.detected")]
    for p in ("A", "B"):  # every lock taken lock1 first, then lock2, every round
        taken = [e["data"]["lock"] for e in evs if e["kind"] == "lock.acquired" and e["proc"] == p]
        assert taken == ["lock1", "lock2"] * params["rounds"]
    check_mutual_exclusion(evs)
    check_clean_exit(evs)


@pytest.mark.parametrize("method", METHODS)
def test_defaults_deadlock_and_end(method: str) -> None:
    run = run_deadlock({}, method)
    assert run.result["deadlocked"] is True and run.result["cycle"] == CYCLE
    check_clean_exit(events(run))


def test_no_lock_pause_still_ends_whatever_the_timing() -> None:
    run = run_deadlock({**PRESETS["sometimes"], "rounds": 30, "timeout_ms": 200}, "fork")
    r = run.result
    assert r["deadlocked"] == (r["cycle"] is not None)
    if r["deadlocked"]:
        assert r["cycle"] == CYCLE
    check_mutual_exclusion(events(run))


@pytest.mark.parametrize(
    ("params", "field"),
    [({"rounds": 0}, "rounds"), ({"rounds": 101}, "rounds"), ({"timeout_ms": 10}, "timeout_ms")],
)
def test_bad_params_are_refused_naming_the_field(params: dict[str, Any], field: str) -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as exc:
            await m.start("deadlock", params)
        assert exc.value.errors[0]["loc"] == ["body", "params", field]

    with_manager(body)
