"""Race benchmark: does the lesson hold? N runs of the race per start method, with and without the Lock.

For each start method: how many unlocked runs lost updates (target: at least 19 of 20 with defaults on
2 cores), the lost counts, and that no locked run ever lost one; plus wall time with reporting on.
Prints JSON (and writes it with --json FILE).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from app.config import Settings
from app.engine.engine import Engine
from app.engine.ports import NullPublisher
from bench.common import machine, report


async def measure(runs: int, locked_runs: int) -> dict[str, Any]:
    manager = Engine(Settings(), NullPublisher())
    out: dict[str, Any] = {}
    try:
        for method in ("forkserver", "spawn", "fork"):
            lost: list[int]
            locked_lost: list[int]
            lost, locked_lost, seconds = [], [], []
            for use_lock, n, sink in ((False, runs, lost), (True, locked_runs, locked_lost)):
                for _ in range(n):
                    started = time.perf_counter()
                    run = await manager.start("race", {"use_lock": use_lock}, method)
                    while run.active:
                        await asyncio.sleep(0.005)
                    assert run.status == "succeeded", run.error
                    sink.append(run.result["lost"])
                    if not use_lock:
                        seconds.append(time.perf_counter() - started)
            out[method] = {
                "unlocked_runs_losing_updates": sum(1 for x in lost if x > 0),
                "unlocked_runs": len(lost),
                "lost_min": min(lost),
                "lost_max": max(lost),
                "lost_mean": round(sum(lost) / len(lost), 1),
                "locked_runs": len(locked_lost),
                "locked_runs_losing_updates": sum(1 for x in locked_lost if x),
                "unlocked_run_wall_s_mean": round(sum(seconds) / len(seconds), 3),
            }
    finally:
        await manager.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--locked-runs", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(measure(args.runs, args.locked_runs))
    targets = {
        m: r["unlocked_runs_losing_updates"] >= 0.95 * r["unlocked_runs"]
        and r["locked_runs_losing_updates"] == 0
        for m, r in result.items()
    }
    report(
        {
            "benchmark": "race",
            "machine": machine(),
            "defaults": {"workers": 4, "increments": 1000},
            "by_start_method": result,
            "targets_met": targets,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
