"""The shared_memory scenario: workers write a shared Array in place and add to a locked Value."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.errors import InvalidRequest
from app.scenarios.shared_memory import slices
from tests.helpers import METHODS, events, start_and_finish, with_manager


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "params", [{"workers": 3, "size": 20, "delay_ms": 5}, {"delay_ms": 0}], ids=["small", "defaults"]
)
def test_workers_fill_their_slices_and_the_total_adds_up(method: str, params: dict[str, Any]) -> None:
    run = with_manager(lambda m: start_and_finish(m, "shared_memory", params, method))
    assert run.status == RunStatus.SUCCEEDED, run.error
    size, workers = run.params["size"], run.params["workers"]
    result = run.result
    assert result["array"] == result["expected_array"] == [i * i for i in range(size)]
    assert result["value"] == result["expected_value"] == sum(i * i for i in range(size))

    evs = events(run)
    assert run.dropped_events == 0
    writes = [e for e in evs if e["kind"] == "array.write"]
    assert sorted(e["data"]["index"] for e in writes) == list(range(size))  # every cell written once
    for w, (start, stop) in enumerate(slices(size, workers)):
        mine = [e["data"]["index"] for e in writes if e["proc"] == f"Process-{w}"]
        assert mine == list(range(start, stop))  # each worker writes only its own slice, in order
    assert all(e["data"]["value"] == e["data"]["index"] ** 2 for e in writes)
    # The Value's writes, ordered by time, climb by exactly one square each: no addition was lost.
    totals = [e["data"]["value"] for e in sorted(evs, key=lambda e: e["t"]) if e["kind"] == "value.write"]
    assert len(totals) == size and totals == sorted(totals) and totals[-1] == result["value"]
    final = [e for e in evs if e["kind"] == "value.read" and e["proc"] == "main"]
    assert [e["data"]["value"] for e in final] == [result["value"]]


def test_slices_cover_the_array_once() -> None:
    for size in (1, 7, 32, 256):
        for workers in range(1, 9):
            cells = [i for start, stop in slices(size, workers) for i in range(start, stop)]
            assert cells == list(range(size))


def test_bad_params_name_the_field() -> None:
    async def body(m: Engine) -> None:
        with pytest.raises(InvalidRequest) as info:
            await m.start("shared_memory", {"size": 257})
        (error,) = info.value.errors
        assert error["loc"] == ["body", "params", "size"] and "256" in error["msg"]
        with pytest.raises(InvalidRequest) as info:
            await m.start("shared_memory", {"workers": 9})
        assert info.value.errors[0]["loc"] == ["body", "params", "workers"]

    with_manager(body)
