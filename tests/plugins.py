"""Scenarios that exist only for tests: they misbehave on purpose (crash, hang, flood)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario
from app.scenarios import REGISTRY


class CrashParams(Params):
    workers: int = Field(2, ge=1, le=8)


def crashing_worker(rep: Reporter, index: int) -> None:
    rep.emit("log", msg=f"worker {index} about to fail")
    if index == 0:
        raise ValueError("boom in worker 0")
    time.sleep(30)  # its sibling must not be waited for forever


class Crash(Scenario):
    id = "test-crash"
    title = "A worker raises"
    concepts = ("failure",)
    explanation = {"en": "test", "zh": "測試"}
    Params = CrashParams

    def processes(self, params: CrashParams) -> int:
        return params.workers + 1

    worker = staticmethod(crashing_worker)
    lane = "worker"

    def run(self, ctx: RunContext, params: CrashParams) -> dict[str, Any]:
        procs = [ctx.Process(self.worker, (i,), name=f"{self.lane}-{i}") for i in range(params.workers)]
        ctx.start_all(procs)
        ctx.join_all(procs)
        return {}


class SleepParams(Params):
    workers: int = Field(3, ge=1, le=40)
    seconds: float = Field(30, ge=0, le=600)


def sleeping_worker(rep: Reporter, seconds: float) -> None:
    rep.emit("log", msg="sleeping")
    time.sleep(seconds)


class Sleep(Scenario):
    id = "test-sleep"
    title = "Workers that sleep"
    concepts = ("cancel",)
    explanation = {"en": "test", "zh": "測試"}
    Params = SleepParams

    def processes(self, params: SleepParams) -> int:
        return params.workers + 1

    def run(self, ctx: RunContext, params: SleepParams) -> dict[str, Any]:
        procs = [
            ctx.Process(sleeping_worker, (params.seconds,), name=f"sleeper-{i}")
            for i in range(params.workers)
        ]
        ctx.start_all(procs)
        ctx.join_all(procs)
        return {"slept": params.seconds}


class FloodParams(Params):
    events: int = Field(1000, ge=1, le=10_000_000)


class Flood(Scenario):
    id = "test-flood"
    title = "Many events"
    concepts = ("limits",)
    explanation = {"en": "test", "zh": "測試"}
    Params = FloodParams

    def run(self, ctx: RunContext, params: FloodParams) -> dict[str, Any]:
        for i in range(params.events):
            ctx.rep.emit("log", i=i)
        return {"emitted": params.events}


TEST_REGISTRY: dict[str, Scenario] = {**REGISTRY, **{s.id: s for s in (Crash(), Sleep(), Flood())}}


class DiceParams(Params):
    workers: int = Field(2, ge=1, le=4)


def roller(rep: Reporter) -> None:
    import random

    rep.emit("log", rolls=[random.randint(1, 6) for _ in range(5)])


class Dice(Scenario):
    id = "test-dice"
    title = "Random draws in every process"
    concepts = ("seed",)
    explanation = {"en": "test", "zh": "測試"}
    Params = DiceParams

    def processes(self, params: DiceParams) -> int:
        return params.workers + 1

    def run(self, ctx: RunContext, params: DiceParams) -> dict[str, Any]:
        import random

        procs = [ctx.Process(roller, (), name=f"roller-{i}") for i in range(params.workers)]
        ctx.start_all(procs)
        ctx.join_all(procs)
        return {"main_roll": random.randint(1, 10**9)}


TEST_REGISTRY["test-dice"] = Dice()


def wedging_worker(rep: Reporter, index: int) -> None:
    import os
    import signal

    rep.emit("log", msg=f"worker {index} running")
    time.sleep(0.3)
    if index == 0:
        # Die holding the run's queue write lock, as a feeder thread killed mid-send would: every
        # other process's events, the main process's included, can no longer go through the queue.
        rep.queue._wlock.acquire()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(30)


class Wedge(Crash):
    """Crash's shape, with a worker that dies holding the event queue's write lock."""

    id = "test-wedge"
    title = "A process dies holding the event queue's write lock"
    worker = staticmethod(wedging_worker)
    lane = "wedge"


TEST_REGISTRY["test-wedge"] = Wedge()
