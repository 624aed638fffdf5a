"""Memory benchmark: server memory per million stored events.

Starts a real server, measures its RSS (psutil), runs `firehose` for N events, measures again once the
run has ended, and reports MB per million events, beside the size of the events' JSON itself (the
baseline: what any store holding the stream must represent). Target (issue 5): <= 150 MB per million.
"""

from __future__ import annotations

import argparse
import gc
import time

import httpx
import psutil

from bench.common import machine, report, server


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the run")
    args = parser.parse_args()
    per_process = args.events // 4
    with server("--max-events", str(args.events + 1000), "--max-run-seconds", "600") as url:
        pid = next(p.pid for p in psutil.Process().children() if "app" in " ".join(p.cmdline()))
        time.sleep(1)
        before = rss_mb(pid)
        params = {"processes": 4, "events": per_process}
        run = httpx.post(f"{url}/api/runs", json={"scenario": "firehose", "params": params}).json()
        while (run := httpx.get(f"{url}/api/runs/{run['id']}").json())["status"] in ("queued", "running"):
            time.sleep(0.2)
        gc.collect()
        time.sleep(1)
        after = rss_mb(pid)
        events_json = httpx.get(f"{url}/api/runs/{run['id']}/events", timeout=120).content
    stored = run["event_count"]
    per_million = (after - before) / stored * 1e6
    json_mb = (len(events_json) - 2) / 2**20 / stored * 1e6
    report(
        {
            "benchmark": "memory",
            "machine": machine(),
            "events_stored": stored,
            "dropped_events": run["dropped_events"],
            "server_rss_before_mb": round(before, 1),
            "server_rss_after_mb": round(after, 1),
            "server_mb_per_million_events": round(per_million, 1),
            "baseline_json_mb_per_million_events": round(json_mb, 1),
            "target_mb_per_million": 150,
            "targets_met": {"memory": per_million <= 150},
        },
        args.json,
    )


if __name__ == "__main__":
    main()
