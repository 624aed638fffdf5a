"""Relay benchmark: end-to-end event throughput and start latency, against a baseline in the same run.

Throughput: P producer processes each send N small events
  baseline  multiprocessing.Queue -> one consumer in this process (get() per item),
  mpscope   Reporter -> relay -> hub -> one WebSocket client, through a real server (scenario firehose).
Start latency: POST /api/runs -> first event on the run's WebSocket, per start method.

Prints JSON (and writes it with --json FILE). Targets (issue 2): throughput ratio >= 0.5, first event
p50 <= 50 ms with forkserver.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from typing import Any

import httpx
from websockets.sync.client import connect

from app.frames import decode
from bench.common import machine, percentile, report, server


def _produce(q: Any, n: int, gate: Any) -> None:
    gate.wait()
    for i in range(n):
        q.put((time.monotonic_ns(), 0, "p", "log", {"i": i, "sent_ns": 0}))


def baseline_throughput(producers: int, per_producer: int) -> float:
    ctx = multiprocessing.get_context("forkserver")
    q = ctx.Queue(65_536)
    gate = ctx.Barrier(producers + 1)
    procs = [ctx.Process(target=_produce, args=(q, per_producer, gate)) for _ in range(producers)]
    for p in procs:
        p.start()
    gate.wait()
    started = time.perf_counter()
    for _ in range(producers * per_producer):
        q.get()
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    return producers * per_producer / elapsed


def mpscope_throughput(url: str, producers: int, per_producer: int) -> dict[str, float]:
    params = {"processes": producers, "events": per_producer}
    run = httpx.post(f"{url}/api/runs", json={"scenario": "firehose", "params": params}).json()
    first_log = last = None
    count = 0
    with connect(url.replace("http", "ws") + f"/ws/runs/{run['id']}", max_size=None) as ws:
        for message in ws:
            for event in decode(message):
                if event["kind"] == "log":
                    count += 1
                    if first_log is None:
                        first_log = time.perf_counter()
                    last = time.perf_counter()
                if event["kind"] == "run.end":
                    dropped = event["data"]["dropped_events"]
    assert count == producers * per_producer, f"received {count} of {producers * per_producer} events"
    return {"events_per_s": count / ((last or 0) - (first_log or 0)), "dropped": dropped}


def first_event_ms(url: str, method: str, runs: int) -> dict[str, float]:
    firsts, children = [], []
    body = {"scenario": "race", "params": {"workers": 1, "increments": 1}, "start_method": method}
    ws_base = url.replace("http", "ws")
    with httpx.Client() as client:
        for _ in range(runs):
            started = time.perf_counter()
            run = client.post(f"{url}/api/runs", json=body).json()
            first = child = None
            with connect(f"{ws_base}/ws/runs/{run['id']}") as ws:
                for message in ws:
                    now = time.perf_counter()
                    for event in decode(message):
                        first = first or now
                        if event["proc"] != "mpscope" and child is None:
                            child = now
                    if child is not None:
                        break
            assert first is not None, "the run's stream ended before its first event"
            firsts.append((first - started) * 1000)
            children.append(((child or now) - started) * 1000)
            while client.get(f"{url}/api/runs/{run['id']}").json()["status"] in ("queued", "running"):
                time.sleep(0.01)
    return {
        "first_event_p50_ms": percentile(firsts, 50),
        "first_event_p99_ms": percentile(firsts, 99),
        "first_process_event_p50_ms": percentile(children, 50),
        "first_process_event_p99_ms": percentile(children, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="also write the result to this file")
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--events", type=int, default=50_000, help="events per producer")
    parser.add_argument("--runs", type=int, default=20, help="runs per start method for start latency")
    args = parser.parse_args()

    baseline = baseline_throughput(args.producers, args.events)
    with server() as url:
        mpscope_throughput(url, args.producers, 1000)  # warm-up
        measured = mpscope_throughput(url, args.producers, args.events)
        latency = {m: first_event_ms(url, m, args.runs) for m in ("forkserver", "fork", "spawn")}
    ratio = measured["events_per_s"] / baseline
    report(
        {
            "benchmark": "relay",
            "machine": machine(),
            "throughput": {
                "producers": args.producers,
                "events": args.producers * args.events,
                "baseline_mp_queue_events_per_s": round(baseline),
                "mpscope_events_per_s": round(measured["events_per_s"]),
                "ratio": round(ratio, 3),
                "target_ratio": 0.5,
                "dropped_events": measured["dropped"],
            },
            "start_latency": latency,
            "targets_met": {
                "throughput_ratio": ratio >= 0.5,
                "forkserver_first_event_p50": latency["forkserver"]["first_event_p50_ms"] <= 50,
            },
        },
        args.json,
    )


if __name__ == "__main__":
    main()
