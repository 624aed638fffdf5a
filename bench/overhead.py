"""Instrumentation overhead: what reporting costs a scenario, against the same work unreported.

1. Per call: median Reporter.emit against a bare multiprocessing Queue.put of the same payload, in the
   same process and run (target, issue 5: emit <= 2x put).
2. Per scenario: wall time of race (no lock, with lock) and pool with reporting on vs off, run as the
   server runs them (a main process from a forkserver, a reader draining the queue), median of N.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import threading
import time
from typing import Any

from app.lesson.reporter import EventQueue, Reporter
from app.lesson.scenario import RunContext
from app.lesson.watch import ChildWatch
from app.scenarios import REGISTRY
from bench.common import machine, report


def per_call(n: int) -> dict[str, float]:
    ctx = multiprocessing.get_context("forkserver")
    raw = ctx.Queue(maxsize=1 << 20)
    q = EventQueue(ctx, maxsize=1 << 20)
    rep = Reporter(q, time.monotonic_ns())
    payload = {"name": "counter", "value": 41}
    drains = [threading.Thread(target=_drain, args=(x, n), daemon=True) for x in (raw, q)]
    for t in drains:
        t.start()
    put_ns, emit_ns = [], []
    for _ in range(n):  # interleaved, so both see the same machine
        t0 = time.perf_counter_ns()
        raw.put((time.monotonic_ns(), 1, "worker", "value.read", payload))
        t1 = time.perf_counter_ns()
        rep.emit("value.read", **payload)
        t2 = time.perf_counter_ns()
        put_ns.append(t1 - t0)
        emit_ns.append(t2 - t1)
    for t in drains:
        t.join(30)
    put, emit = statistics.median(put_ns) / 1000, statistics.median(emit_ns) / 1000
    return {"queue_put_us_p50": round(put, 2), "emit_us_p50": round(emit, 2), "ratio": round(emit / put, 2)}


def _drain(q: Any, n: int) -> None:
    for _ in range(n):
        q.get()


def _scenario_main(scenario_id: str, params: dict[str, Any], enabled: bool, method: str, out: Any) -> None:
    ctx = multiprocessing.get_context(method)
    q = EventQueue(ctx)
    stop = threading.Event()

    def drain() -> None:  # stands in for the server's relay
        while not stop.is_set():
            q.read_batch(0.05)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    scenario = REGISTRY[scenario_id]
    watch = ChildWatch(ctx)
    watch.start()
    started = time.perf_counter()
    scenario.run(
        RunContext(ctx, Reporter(q, time.monotonic_ns(), enabled=enabled), method, watch),
        scenario.Params(**params),
    )
    out.put(time.perf_counter() - started)
    watch.disarm()
    watch.stop()
    stop.set()


def scenario_wall(scenario_id: str, params: dict[str, Any], runs: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("forkserver")
    out = ctx.Queue()
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(runs):
        for enabled in (False, True):
            p = ctx.Process(target=_scenario_main, args=(scenario_id, params, enabled, "forkserver", out))
            p.start()
            times[enabled].append(out.get(timeout=120))
            p.join()
    off, on = statistics.median(times[False]), statistics.median(times[True])
    return {"params": params, "off_s": round(off, 4), "on_s": round(on, 4), "slowdown": round(on / off, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    calls = per_call(args.calls)
    scenarios = {
        "race_no_lock": scenario_wall("race", {"use_lock": False}, args.runs),
        "race_lock": scenario_wall("race", {"use_lock": True}, args.runs),
        "pool": scenario_wall("pool", {"processes": 4, "n": 200, "sleep_ms": 0}, args.runs),
    }
    report(
        {
            "benchmark": "overhead",
            "machine": machine(),
            "per_call": calls,
            "scenario_wall_time": scenarios,
            "targets_met": {"emit_le_2x_put": calls["ratio"] <= 2.0},
        },
        args.json,
    )


if __name__ == "__main__":
    main()
