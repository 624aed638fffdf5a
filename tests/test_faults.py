"""Faults with real processes and real signals: a run fails fast and names the culprit; the rest go on."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

import pytest

from app.run import Run, RunStatus
from app.runs import RunManager
from tests.test_runs import events, finished, with_manager

METHODS = ("forkserver", "spawn", "fork")


async def wait_for(run: Run, predicate: Any, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        evs = events(run)
        if predicate(evs):
            return evs
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout} s")


def worker_pids(evs: list[dict[str, Any]]) -> dict[str, int]:
    return {
        e["proc"]: e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"].startswith("Process-")
    }


@pytest.mark.parametrize("method", METHODS)
def test_sigkill_of_a_race_worker_fails_the_run_naming_it(method: str) -> None:
    async def body(m: RunManager) -> tuple[Run, Run, float]:
        bystander = await m.start("race", {"workers": 2, "increments": 30, "delay_ms": 20}, method)
        run = await m.start("race", {"workers": 3, "increments": 1000, "delay_ms": 20}, method)
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 3)
        os.kill(worker_pids(evs)["Process-1"], signal.SIGKILL)
        killed_at = time.monotonic()
        await finished(run, timeout=15)
        took = time.monotonic() - killed_at
        await finished(bystander)
        return run, bystander, took

    run, bystander, took = with_manager(body)
    assert run.status == RunStatus.FAILED
    assert "Process-1" in (run.error or "") and "SIGKILL" in (run.error or ""), run.error
    assert took < 10
    assert bystander.status == RunStatus.SUCCEEDED  # the other run carried on


@pytest.mark.parametrize("method", METHODS)
def test_a_killed_lock_holder_does_not_hang_its_siblings(method: str) -> None:
    async def body(m: RunManager) -> tuple[Run, float]:
        run = await m.start(
            "race", {"workers": 3, "increments": 50, "use_lock": True, "hold_ms": 300}, method
        )

        def someone_holds(evs: list[dict[str, Any]]) -> bool:
            return len(worker_pids(evs)) == 3 and any(e["kind"] == "lock.acquired" for e in evs)

        evs = await wait_for(run, someone_holds)
        holder = [e for e in evs if e["kind"] == "lock.acquired"][-1]
        os.kill(holder["pid"], signal.SIGKILL)  # dies holding the lock: the others wait on it forever
        killed_at = time.monotonic()
        await finished(run, timeout=15)
        return run, time.monotonic() - killed_at

    run, took = with_manager(body)
    assert run.status == RunStatus.FAILED and "SIGKILL" in (run.error or "")
    assert took < 10
    waits = [e for e in events(run) if e["kind"] == "lock.wait"]
    assert waits, "the siblings were waiting for the lock when the holder died"


def test_sigkill_of_the_runs_main_process_fails_the_run_and_reaps_its_workers() -> None:
    async def body(m: RunManager) -> Run:
        run = await m.start("race", {"workers": 3, "increments": 1000, "delay_ms": 20})
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 3)
        main = next(e["pid"] for e in evs if e["kind"] == "process.start" and e["proc"] == "main")
        os.kill(main, signal.SIGKILL)
        return await finished(run, timeout=15)

    run = with_manager(body)  # the no-orphans fixture checks the workers are gone
    assert run.status == RunStatus.FAILED and "main" in (run.error or "") and "SIGKILL" in (run.error or "")


def test_sigterm_to_one_worker_fails_the_run_but_not_the_manager() -> None:
    async def body(m: RunManager) -> tuple[Run, Run]:
        run = await m.start("race", {"workers": 2, "increments": 1000, "delay_ms": 20})
        evs = await wait_for(run, lambda evs: len(worker_pids(evs)) == 2)
        os.kill(worker_pids(evs)["Process-0"], signal.SIGTERM)
        await finished(run, timeout=15)
        after = await finished(await m.start("race", {"increments": 10}))
        return run, after

    run, after = with_manager(body)
    assert run.status == RunStatus.FAILED and "Process-0" in (run.error or "")
    assert after.status == RunStatus.SUCCEEDED
