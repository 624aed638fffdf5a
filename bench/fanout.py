"""Fan-out benchmark: latency from an event's emit to its arrival at every viewer, and server CPU.

A `firehose` run emits 1,000 events/s (each carries its emit time, `sent_ns`, on the clock all
processes share); V WebSocket viewers, spread over a few client processes, follow it live. Every
viewer checks that it got every event in seq order; latency is taken for events emitted after it was
connected. Baseline in the same run: one viewer. Targets (issue 5): p99 <= 30 ms at 100 viewers and
<= 100 ms at 500, with the server process using at most 1.5 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from typing import Any

import httpx
import orjson
import psutil
import websockets

from bench.common import machine, percentile, report, server


async def _viewer(url: str, ready: asyncio.Event, out: list[int], counts: list[int]) -> None:
    async with websockets.connect(url, max_size=None, open_timeout=60) as ws:
        connected = time.monotonic_ns()
        ready.set()
        expected = 0
        async for message in ws:
            now = time.monotonic_ns()
            frame = orjson.loads(message)
            # Per frame, not per event, so the viewers (not the server) are not what is measured:
            # seqs are contiguous iff the first is the one expected and the last is first + len - 1.
            if frame[0]["seq"] != expected or frame[-1]["seq"] != expected + len(frame) - 1:
                raise AssertionError(
                    f"gap: expected seq {expected}, got {frame[0]['seq']}..{frame[-1]['seq']}"
                )
            expected += len(frame)
            for event in (frame[0], frame[-1]):  # the oldest event in the frame waited longest
                sent = event["data"].get("sent_ns") if event["kind"] == "log" else None
                if sent is not None and sent > connected:
                    out.append(now - sent)
        counts.append(expected)


def _client_process(url: str, viewers: int, results: Any) -> None:
    async def main() -> tuple[list[int], list[int]]:
        latencies: list[int] = []
        counts: list[int] = []
        readies = [asyncio.Event() for _ in range(viewers)]
        tasks = [asyncio.create_task(_viewer(url, r, latencies, counts)) for r in readies]
        await asyncio.gather(*tasks)
        return latencies, counts

    results.put(asyncio.run(main()))


def measure(base: str, viewers: int, seconds: float, rate: int) -> dict[str, Any]:
    params = {"processes": 1, "events": int(seconds * rate), "rate": rate}
    run = httpx.post(f"{base}/api/runs", json={"scenario": "firehose", "params": params}).json()
    url = base.replace("http", "ws") + f"/ws/runs/{run['id']}"
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    per_client = [viewers // 4 + (1 if i < viewers % 4 else 0) for i in range(min(4, viewers))]
    clients = [ctx.Process(target=_client_process, args=(url, n, results)) for n in per_client if n]
    server_proc = next(p for p in psutil.Process().children() if "app" in " ".join(p.cmdline()))
    cpu_before, wall_before = server_proc.cpu_times(), time.monotonic()
    for c in clients:
        c.start()
    gathered = [results.get(timeout=seconds + 120) for _ in clients]
    cpu_after, wall_after = server_proc.cpu_times(), time.monotonic()
    for c in clients:
        c.join()
    latencies = [x / 1e6 for lat, _ in gathered for x in lat]
    counts = [n for _, cs in gathered for n in cs]
    final = httpx.get(f"{base}/api/runs/{run['id']}").json()
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / (
        wall_after - wall_before
    )
    return {
        "viewers": viewers,
        "events_per_s": rate,
        "latency_ms_p50": round(percentile(latencies, 50), 1),
        "latency_ms_p99": round(percentile(latencies, 99), 1),
        "latency_ms_max": round(max(latencies), 1) if latencies else None,
        "samples": len(latencies),
        "viewers_with_every_event": sum(1 for n in counts if n == final["event_count"]),
        "server_cores": round(cpu, 2),
        "dropped_events": final["dropped_events"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 100, 500])
    args = parser.parse_args()
    with server("--max-viewers", "2000", "--max-run-seconds", "300") as base:
        rows = [measure(base, v, args.seconds, args.rate) for v in args.viewers]
    by = {r["viewers"]: r for r in rows}
    targets = {}
    if 100 in by:
        targets["p99_100_viewers_le_30ms"] = by[100]["latency_ms_p99"] <= 30
    if 500 in by:
        targets["p99_500_viewers_le_100ms"] = by[500]["latency_ms_p99"] <= 100
    targets["server_le_1_5_cores"] = all(r["server_cores"] <= 1.5 for r in rows)
    targets["no_viewer_missed_an_event"] = all(r["viewers_with_every_event"] == r["viewers"] for r in rows)
    report({"benchmark": "fanout", "machine": machine(), "rows": rows, "targets_met": targets}, args.json)


if __name__ == "__main__":
    main()
