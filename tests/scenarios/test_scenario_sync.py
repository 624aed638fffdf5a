"""The sync scenario: never more than k inside the Semaphore's section; nobody starts before the Event;
nobody passes the Barrier before everybody arrived."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, finished, with_manager
from tests.plugins import TEST_REGISTRY

PRESET = TEST_REGISTRY["sync"].presets["semaphore 2 of 6"]
DEFAULTS = TEST_REGISTRY["sync"].Params().model_dump()
FAST = {"work_ms": 60, "signal_ms": 100}


def run_sync(params: dict[str, Any], method: str) -> Run:
    async def body(m: Engine) -> Run:
        return await finished(await m.start("sync", params, method))  # under RUN_HANG_GUARD_S

    run = with_manager(body)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    return run


def most_inside(evs: list[dict[str, Any]]) -> int:
    """From the stream alone: +1 at each acquired, -1 at each release, in time order."""
    inside = most = 0
    for e in sorted(evs, key=lambda e: e["t"]):
        if e["kind"] == "semaphore.acquired":
            inside += 1
        elif e["kind"] == "semaphore.released":
            inside -= 1
        most = max(most, inside)
    assert inside == 0
    return most


def check(run: Run, p: dict[str, Any]) -> None:
    r, evs = run.result, events(run)
    k, n = p["limit"], p["workers"]
    assert r["limit"] == k and r["workers"] == n and r["entries"] == 2 * n
    assert r["max_inside"] <= k
    assert most_inside(evs) == r["max_inside"]  # the shared Value and the events agree
    kinds = [e["kind"] for e in evs]
    for kind, count in [
        ("semaphore.wait", 2 * n),
        ("semaphore.acquired", 2 * n),
        ("semaphore.released", 2 * n),
        ("event.wait", n),
        ("event.set", 1),
        ("barrier.wait", n),
        ("barrier.passed", n),
    ]:
        assert kinds.count(kind) == count, kind
    # The Event: no worker entered the section before main set it.
    set_t = next(e["t"] for e in evs if e["kind"] == "event.set")
    assert all(e["t"] > set_t for e in evs if e["kind"] == "semaphore.wait")
    # The Barrier: the first one through came after the last one arrived; phase 2 only after it.
    last_arrival = max(e["t"] for e in evs if e["kind"] == "barrier.wait")
    assert min(e["t"] for e in evs if e["kind"] == "barrier.passed") >= last_arrival
    phase2 = [e for e in evs if e["kind"] == "semaphore.acquired" and e["data"]["phase"] == 2]
    assert len(phase2) == n and all(e["t"] > last_arrival for e in phase2)
    assert sorted(e["data"]["index"] for e in evs if e["kind"] == "barrier.passed") == list(range(n))
    exits = [e["data"]["exitcode"] for e in evs if e["kind"] == "process.exit"]
    assert exits == [0] * n


@pytest.mark.parametrize("method", METHODS)
def test_preset_semaphore_keeps_at_most_k_inside(method: str) -> None:
    p = {**PRESET, **FAST}
    run = run_sync(p, method)
    check(run, p)
    assert run.result["max_inside"] == p["limit"]  # 6 workers for 2 places: the section fills up


@pytest.mark.parametrize("method", METHODS)
def test_defaults(method: str) -> None:
    run = run_sync({}, method)
    check(run, DEFAULTS)


def test_k_of_1_is_a_lock_and_k_of_workers_never_waits_long() -> None:
    one = run_sync({"workers": 4, "limit": 1, **FAST}, "fork")
    check(one, {"workers": 4, "limit": 1})
    assert one.result["max_inside"] == 1
    everyone = run_sync({"workers": 3, "limit": 3, "work_ms": 300, "signal_ms": 100}, "fork")
    check(everyone, {"workers": 3, "limit": 3})


@pytest.mark.parametrize(
    ("params", "field"), [({"workers": 13}, "workers"), ({"limit": 0}, "limit"), ({"work_ms": 5}, "work_ms")]
)
def test_bad_params_are_refused_naming_the_field(params: dict[str, Any], field: str) -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as exc:
            await m.start("sync", params)
        assert exc.value.errors[0]["loc"] == ["body", "params", field]

    with_manager(body)
