"""Firehose: a controlled event load, for benchmarks and for showing scale on stage."""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class FirehoseParams(Params):
    processes: int = Field(2, ge=1, le=16, description="processes emitting events")
    events: int = Field(10_000, ge=1, le=1_000_000, description="events per process")
    rate: int = Field(
        0, ge=0, le=1_000_000, description="events per second per process; 0: as fast as possible"
    )


def emitter(rep: Reporter, events: int, rate: int, start_gate: Any) -> None:
    start_gate.wait()
    started = time.perf_counter()
    for i in range(events):
        if rate:
            # Pace by the clock, not by sleeping per event: sleeps are far coarser than 1/rate.
            ahead = started + i / rate - time.perf_counter()
            if ahead > 0.001:
                time.sleep(ahead)
        rep.emit("log", i=i, sent_ns=time.monotonic_ns())


class Firehose(Scenario[FirehoseParams]):
    id = "firehose"
    title = "Firehose: many events, fast"
    title_zh = "Firehose：大量事件，高速湧入"
    concepts = ("scale", "instrumentation")
    explanation = {
        "en": (
            "Each process sends a stream of events as fast as it can (or at a set rate). It teaches nothing "
            "about multiprocessing by itself: it shows how much mpscope can carry, and the events dropped "
            "counter shows whether anything was lost on the way (it should stay at zero)."
        ),
        "zh": (
            "每個進程以最快速度(或指定速率)送出一連串事件。它本身不講解 multiprocessing,"
            "而是展示 mpscope 能承載多少事件;「遺失事件」計數器顯示傳送途中是否有任何遺失(應保持為零)。"
        ),
    }
    Params = FirehoseParams
    presets = {"stage": {"processes": 4, "events": 50_000, "rate": 10_000}}

    def processes(self, params: FirehoseParams) -> int:
        return params.processes + 1

    def run(self, ctx: RunContext, params: FirehoseParams) -> dict[str, Any]:
        start_gate = ctx.mp.Barrier(params.processes, timeout=30)
        procs = [
            ctx.Process(emitter, (params.events, params.rate, start_gate), name=f"emitter-{i}")
            for i in range(params.processes)
        ]
        ctx.start_all(procs)
        ctx.join_all(procs)
        return {"events": params.processes * params.events, "dropped": ctx.rep.dropped}
