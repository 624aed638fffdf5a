"""The gil scenario: on CPU-bound work threads take turns (one core at most), processes run in parallel;
on I/O-bound work threads and processes take about the same time.

The machine is small (2 cores) and shared. Checked on every run is what holds whatever the load: the
phases' order, every worker's units on its own lane inside its phase, the threads' CPU time together
never more than one core (the GIL), and waits that last at least their time (bounds that slowness can
only loosen). How many seconds each phase took is the lesson the view shows, and it needs free cores,
which a shared machine does not promise: the tests record those figures (record_property), they do
not assert them.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, finished, with_manager
from tests.plugins import TEST_REGISTRY

PHASES = ["cpu-threads", "cpu-processes", "io-threads", "io-processes"]
PRESET = TEST_REGISTRY["gil"].presets["tutorial"]
DEFAULTS = TEST_REGISTRY["gil"].Params().model_dump()


def run_gil(params: dict[str, Any], method: str) -> Run:
    async def body(m: Engine) -> Run:
        return await finished(await m.start("gil", params, method))

    return with_manager(body)


def lanes_of(evs: list[dict[str, Any]], phase: str) -> dict[str, list[dict[str, Any]]]:
    job, kind = phase.split("-")
    prefix = f"main/{job}-T" if kind == "threads" else f"{job}-P"
    lanes: dict[str, list[dict[str, Any]]] = {}
    for e in evs:
        if e["proc"].startswith(prefix):
            lanes.setdefault(e["proc"], []).append(e)
    return lanes


def check_run(run: Run, p: dict[str, Any]) -> None:
    """Everything that holds on any machine under any load."""
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.dropped_events == 0
    r = run.result
    assert set(r) >= {"cpu", "io", "cores"} and r["cores"] == os.cpu_count()
    for job in ("cpu", "io"):
        assert set(r[job]) == {"threads_s", "processes_s"}
        assert all(x > 0 for x in r[job].values())

    evs = events(run)
    main_pid = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == "main")
    starts = [e for e in evs if e["kind"] == "phase.start"]
    ends = [e for e in evs if e["kind"] == "phase.end"]
    assert [e["data"]["phase"] for e in starts] == [e["data"]["phase"] for e in ends] == PHASES
    for start, end in zip(starts, ends, strict=True):
        phase = start["data"]["phase"]
        job, kind = phase.split("-")
        assert start["t"] < end["t"] and all(e["proc"] == "main" for e in (start, end))
        assert end["data"]["seconds"] == pytest.approx(r[job][f"{kind}_s"], abs=1e-3)
        lanes = lanes_of(evs, phase)
        assert len(lanes) == p["workers"], sorted(lanes)
        for lane, lane_evs in lanes.items():
            kinds = [e["kind"] for e in lane_evs]
            if kind == "threads":  # a lane of its own inside the main process
                assert all(e["pid"] == main_pid for e in lane_evs)
                assert kinds[0] == "thread.start" and kinds[-1] == "thread.exit", (lane, kinds)
            else:
                assert {e["pid"] for e in lane_evs}.isdisjoint({main_pid})
                assert kinds[0] == "process.start" and kinds[-1] == "process.exit", (lane, kinds)
                assert lane_evs[-1]["data"]["exitcode"] == 0
            units = [e for e in lane_evs if e["kind"] == "work.unit"]
            assert [u["data"]["unit"] for u in units] == list(range(p["work_units"]))
            assert all(u["data"]["job"] == job for u in units)
            assert all(start["t"] < u["t"] < end["t"] for u in units), f"{lane}: work outside its phase"

    # Bounds that slowness only loosens. Waiting takes at least as long as the waits, however the
    # workers share them; and the GIL: however busy the machine, N threads together never use more
    # than one core (their CPU seconds are at most the phase's seconds).
    assert min(r["io"].values()) >= p["work_units"] * p["io_ms"] / 1000 * 0.95, r["io"]
    cpu_threads = sum(lane[-2]["data"]["cpu_s"] for lane in lanes_of(evs, "cpu-threads").values())
    assert cpu_threads <= 1.15 * r["cpu"]["threads_s"] + 0.02, (cpu_threads, r["cpu"])


@pytest.mark.parametrize("method", METHODS)
def test_tutorial_preset_threads_share_one_core_processes_have_their_own(
    method: str, record_property: Any
) -> None:
    cores = os.cpu_count() or 1
    assert cores >= 2  # the lesson needs two cores
    run = run_gil(PRESET, method)
    check_run(run, PRESET)
    # Processes ran in processes of their own, threads inside main: the lanes' pids tell (check_run).
    # The seconds are recorded for whoever reads the report, with the machine's load beside them.
    record_property("gil_cpu_seconds", run.result["cpu"])
    record_property("gil_io_seconds", run.result["io"])
    record_property("load_average", os.getloadavg()[0])


def test_defaults_are_the_tutorial_preset() -> None:
    assert DEFAULTS == PRESET  # so the preset's runs above cover the defaults too
    run = run_gil({"work_units": 3, "cpu_n": 100_000, "io_ms": 10}, "fork")
    check_run(run, {**DEFAULTS, "work_units": 3, "cpu_n": 100_000, "io_ms": 10})


def test_one_worker_threads_and_processes_do_the_same() -> None:
    p = {"workers": 1, "work_units": 5, "cpu_n": 100_000, "io_ms": 40}
    run = run_gil(p, "fork")
    check_run(run, p)
    assert run.result["workers"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [({"workers": 9}, "workers"), ({"work_units": 0}, "work_units"), ({"io_ms": 1000}, "io_ms")],
)
def test_bad_params_are_refused_naming_the_field(params: dict[str, Any], field: str) -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as exc:
            await m.start("gil", params)
        assert exc.value.errors[0]["loc"] == ["body", "params", field]

    with_manager(body)
