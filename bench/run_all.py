"""Run every benchmark and write one JSON summary (bench/results/summary.json by default).

`--quick` uses sizes that finish in under 5 minutes on 2 cores. Each benchmark measures its own
baseline in the same run; the summary keeps each one's figures and `targets_met`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, machine

QUICK = {
    "relay": ["--events", "25000", "--runs", "10"],
    "race": ["--runs", "10", "--locked-runs", "4"],
    "overhead": ["--calls", "50000", "--runs", "3"],
    "memory": ["--events", "400000"],
    "fanout": ["--seconds", "5", "--viewers", "1", "100", "500"],
    "browser": ["--quick"],
}
SKIPPED: dict[str, str] = {}
if importlib.util.find_spec("viztracer") is not None:
    QUICK["trace"] = ["--quick"]
else:  # bench-only dependency: pip install -e '.[bench]'
    SKIPPED["trace"] = "skipped: viztracer is not installed (pip install -e '.[bench]')"
if shutil.which("redis-server"):  # origin + two edges + Redis (bench/broadcast.py)
    QUICK["broadcast"] = ["--viewers", "1000", "--seconds", "5"]
else:
    SKIPPED["broadcast"] = "skipped: redis-server is not installed (apt-get install redis-server)"
FULL: dict[str, list[str]] = {name: [] for name in QUICK}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=str(ROOT / "bench" / "results" / "summary.json"))
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    results: dict[str, dict[str, Any]] = {}
    out_dir = Path(args.json).parent
    for name, extra in plan.items():
        if args.only and name not in args.only:
            continue
        target = out_dir / f"{name}.json"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", f"bench.{name}", "--json", str(target), *extra], cwd=ROOT
        )
        seconds = round(time.monotonic() - started, 1)
        if done.returncode == 0 and target.exists():
            results[name] = {"seconds": seconds, **json.loads(target.read_text())}
        else:
            results[name] = {"seconds": seconds, "error": f"exited with {done.returncode}"}
    for name, note in SKIPPED.items():
        if not args.only or name in args.only:
            print(f"{name}: {note}", file=sys.stderr)
            results[name] = {"skipped": note}
    summary = {"machine": machine(), "quick": args.quick, "results": results}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(summary, indent=2) + "\n")
    print(
        json.dumps(
            {k: v.get("targets_met", v.get("error", v.get("skipped"))) for k, v in results.items()}, indent=2
        )
    )


if __name__ == "__main__":
    main()
