"""The processes scenario: every child goes created -> started -> running -> exited -> joined."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.errors import InvalidRequest
from tests.helpers import METHODS, events, start_and_finish, with_manager
from tests.plugins import TEST_REGISTRY

STAGES = ("process.create", "process.start", "log", "process.exit", "process.join")


def stage_times(evs: list[dict[str, Any]], name: str) -> list[int]:
    """t of each lifecycle stage of the child `name`, in STAGES order."""
    create = next(e for e in evs if e["kind"] == "process.create" and e["data"]["process"] == name)
    mine = [e for e in evs if e["proc"] == name]
    first = {k: next(e for e in mine if e["kind"] == k)["t"] for k in STAGES[1:]}
    return [create["t"], *(first[k] for k in STAGES[1:])]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("params", [{"workers": 3, "sleep_ms": 500}, {}], ids=["tutorial-short", "defaults"])
def test_every_process_lives_its_whole_lifecycle(method: str, params: dict[str, Any]) -> None:
    run = with_manager(lambda m: start_and_finish(m, "processes", params, method))
    assert run.status == RunStatus.SUCCEEDED, run.error
    workers = run.params["workers"]
    result = run.result
    assert result["exitcodes"] == [0] * workers
    assert result["start_method"] == method
    assert len(result["start_ms"]) == workers and all(ms > 0 for ms in result["start_ms"])

    evs = events(run)
    assert run.dropped_events == 0
    names = [e["data"]["process"] for e in evs if e["kind"] == "process.create"]
    assert names == [f"Process-{i}" for i in range(workers)]
    main_pid = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == "main")
    for i, name in enumerate(names):
        times = stage_times(evs, name)
        assert times == sorted(times), f"{name}: stages out of order {times}"
        logs = [e["data"]["msg"] for e in evs if e["proc"] == name and e["kind"] == "log"]
        assert logs == [f"進程 {i} 啟動", f"進程 {i} 結束"]
        (join,) = [e for e in evs if e["kind"] == "process.join" and e["proc"] == name]
        assert join["data"] == {"exitcode": 0, "start_ms": result["start_ms"][i]}
        child_pid = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == name)
        assert join["pid"] == child_pid != main_pid  # the parent reports it on the child's lane
    # Started one after another, then joined: the main process created (and started) every child
    # before it joined any, so they ran side by side, however long each start took.
    lifecycle = ("process.create", "process.join")
    steps = [e["kind"] for e in sorted(evs, key=lambda e: e["t"]) if e["kind"] in lifecycle]
    assert steps == ["process.create"] * workers + ["process.join"] * workers
    done = [e for e in evs if e["kind"] == "log" and e["proc"] == "main"]
    assert [e["data"]["msg"] for e in done] == ["所有進程執行完畢"]
    assert done[0]["t"] > max(e["t"] for e in evs if e["kind"] == "process.join")


def test_tutorial_preset_is_the_tutorial() -> None:
    assert TEST_REGISTRY["processes"].presets["tutorial"] == {"workers": 3, "sleep_ms": 2000}
    assert TEST_REGISTRY["processes"].processes(TEST_REGISTRY["processes"].Params(workers=3)) == 4


def test_bad_params_name_the_field() -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as info:
            await m.start("processes", {"workers": 17})
        (error,) = info.value.errors
        assert error["loc"] == ["body", "params", "workers"] and "16" in error["msg"]
        with pytest.raises(InvalidRequest) as info:
            await m.start("processes", {"sleep_ms": -1})
        assert info.value.errors[0]["loc"] == ["body", "params", "sleep_ms"]

    with_manager(body)
