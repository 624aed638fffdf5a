"""Broadcast benchmark: viewers served by edges through Redis, beside one process serving them alone.

An origin (`mpscope serve --broker`), two edges (`mpscope edge`) and Debian's redis-server, each a
process of its own on this machine. A `firehose` run emits 1,000 events/s (each carries its emit time,
`sent_ns`, on the clock all processes share); V viewers, split evenly over the two edges, follow it
live. Viewers are browser-like: they offer permessage-deflate, as every browser does, and inflate what
they get. Each joins at the live edge (`?after=` the run's latest seq, as a page that reconnects does:
a thousand late joiners' backlogs would be a different measurement) and checks that it gets every event
from there in seq order. Once every viewer is connected and has
taken its backlog, `--seconds` are measured in steady state: emit-to-viewer latency (p50, p99) of the
events emitted then, and the cores each process used (the origin, each edge, Redis); then the run is
cancelled and every viewer must have had every event of it (events per viewer), and the bytes on the
wire per event. Baseline in the same run: the same viewers on one process alone. docs/scale.md turns
the figures into a cost model.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil

from app import jsonio
from bench.common import ROOT, free_port, machine, percentile, report
from bench.wsviewer import RawViewer, seq_span

# a viewer's (sent_ns, latency_ns) samples, first seq, next seq expected, wire bytes, close code, repeats
Outcome = tuple[list[tuple[int, int]], int, int, int, int, int]
SETTLE_S = 3.0  # after the last viewer connects, before measuring: late joiners take their backlog
SAMPLE_EVERY = 10  # one viewer in ten parses every frame and measures latency


class BrowserViewer(RawViewer):
    """Offers permessage-deflate as a browser does (context takeover both ways) and inflates each
    compressed message (bench/wsviewer.py), joining at `after`."""

    def __init__(self, host: str, path: str, after: int, done: asyncio.Future[Outcome], sample: bool) -> None:
        super().__init__(host, f"{path}?after={after}")
        self.done = done
        self.latencies: list[tuple[int, int]] = []
        self.first = self.expected = after + 1
        self.repeats = 0
        self.sample = sample  # latency viewer: parses every frame (the others check seqs from the bytes)

    def message(self, payload: bytes, now: int) -> None:
        if self.sample:
            self.frame(jsonio.loads(payload), now)
        else:
            self.check(payload)

    def check(self, payload: bytes) -> None:
        self.take(*seq_span(payload))

    def take(self, first: int, last: int, count: int) -> None:
        """A gap fails the bench; events already had are counted as repeats and skipped, as the page
        does (a server may send from where it has framed, before the ?after= it was given)."""
        if first > self.expected or last - first + 1 != count:
            raise AssertionError(f"gap: expected {self.expected}, got {first}..{last} ({count} events)")
        self.repeats += min(self.expected, last + 1) - first
        self.expected = max(self.expected, last + 1)

    def frame(self, frame: list[dict[str, Any]], now: int) -> None:
        self.take(frame[0]["seq"], frame[-1]["seq"], len(frame))
        for event in (frame[0], frame[-1]):
            sent = event["data"].get("sent_ns") if event["kind"] == "log" else None
            if sent is not None and sent > self.connected:
                self.latencies.append((sent, now - sent))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(
                (self.latencies, self.first, self.expected, self.wire_bytes, self.close_code, self.repeats)
            )


def _client_process(url: str, viewers: int, results: Any) -> None:
    host, path = url.removeprefix("ws://").split("/", 1)
    address, port = host.split(":")

    run_url = f"http://{host}/api/runs/{path.rsplit('/', 1)[1]}"

    async def main() -> list[Outcome]:
        loop = asyncio.get_running_loop()
        futures = []
        after = -1
        for i in range(viewers):
            if i % 25 == 0:  # join at the live edge, as a page that reconnects does: this bench measures
                after = int(httpx.get(run_url, timeout=120).json()["event_count"]) - 1  # the live path
            done: asyncio.Future[Outcome] = loop.create_future()
            viewer = partial(BrowserViewer, host, "/" + path, after, done, i % SAMPLE_EVERY == 0)
            await loop.create_connection(viewer, address, int(port))
            futures.append(done)
        results.put("connected")
        return list(await asyncio.gather(*futures))

    results.put(asyncio.run(main()))


@contextlib.contextmanager
def process(args: list[str], health: str | None, log: Path) -> Iterator[psutil.Process]:
    proc = subprocess.Popen(args, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while health is not None:
            if proc.poll() is not None:
                raise RuntimeError(f"{args[:4]} exited:\n{log.read_text()}")
            try:
                if httpx.get(health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield psutil.Process(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return float(t.user + t.system)


def measure(
    origin: str, edges: list[str], procs: dict[str, psutil.Process], viewers: int, seconds: float, rate: int
) -> dict[str, Any]:
    """Steady state: the run goes on until every viewer is connected and has caught up (SETTLE_S), then
    `seconds` are measured (cores, and the latency of events emitted in them), then it is cancelled and
    every viewer must have every event of it, run.end included."""
    params = {"processes": 1, "events": int((seconds + 240) * rate), "rate": rate}
    run = httpx.post(
        f"{origin}/api/runs", json={"scenario": "firehose", "params": params}, timeout=120
    ).json()
    for edge in edges:  # an edge serves a run once the lobby has told it of the run
        while httpx.get(f"{edge}/api/runs/{run['id']}").status_code != 200:
            time.sleep(0.01)
    bases = edges or [origin]
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    clients_per_base = 2
    share = viewers // (len(bases) * clients_per_base)
    path = f"/ws/runs/{run['id']}"
    clients = [
        ctx.Process(target=_client_process, args=(base.replace("http", "ws") + path, share, results))
        for base in bases
        for _ in range(clients_per_base)
    ]
    for c in clients:
        c.start()
    messages = [results.get(timeout=600) for _ in clients]  # "connected", one per client process
    time.sleep(SETTLE_S)
    before, t0 = {name: cpu(p) for name, p in procs.items()}, time.monotonic_ns()
    time.sleep(seconds)
    after, t1 = {name: cpu(p) for name, p in procs.items()}, time.monotonic_ns()
    httpx.post(f"{origin}/api/runs/{run['id']}/cancel", timeout=120)
    messages += [results.get(timeout=600) for _ in clients]
    for c in clients:
        c.join()
    outcomes: list[Outcome] = [o for m in messages if m != "connected" for o in m]
    latencies = [lat / 1e6 for samples, *_ in outcomes for sent, lat in samples if t0 <= sent <= t1]
    counts = [n - first for _, first, n, *_ in outcomes]
    complete = [n for _, _, n, *_ in outcomes]
    wire = sum(o[3] for o in outcomes)
    final = httpx.get(f"{origin}/api/runs/{run['id']}", timeout=120).json()
    wall = (t1 - t0) / 1e9
    cores = {name: round((after[name] - before[name]) / wall, 2) for name in procs}
    per_event = wire / max(sum(counts), 1)
    return {
        "setup": f"origin + {len(edges)} edges + Redis" if edges else "one process alone",
        "viewers": len(counts),
        "events_per_s": rate,
        "measured_seconds": round(wall, 1),
        "latency_ms_p50": round(percentile(latencies, 50), 1),
        "latency_ms_p99": round(percentile(latencies, 99), 1),
        "latency_ms_max": round(max(latencies), 1) if latencies else None,
        "samples": len(latencies),
        "event_count": final["event_count"],
        "events_per_viewer_min": min(counts) if counts else 0,
        "viewers_with_every_event": sum(1 for n in complete if n == final["event_count"]),
        "viewers_dropped_as_too_slow": sum(1 for o in outcomes if o[4] == 1013),
        "events_repeated": sum(o[5] for o in outcomes),
        "wire_bytes_per_event": round(per_event, 1),
        "wire_bytes_per_viewer_per_s": round(per_event * rate),
        "cores": cores,
        "cores_total": round(sum(cores.values()), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--viewers", type=int, default=1000)
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        sys.exit("bench/broadcast.py needs redis-server (apt-get install redis-server)")
    py = [sys.executable, "-m", "app"]
    limits = ["--max-viewers", str(args.viewers + 100)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp)
        port = free_port()
        alone = free_port()
        with process(
            [*py, "serve", "--port", str(alone), "--no-history", *limits, "--max-run-seconds", "300"],
            f"http://127.0.0.1:{alone}/api/health",
            logs / "alone.log",
        ) as p:
            rows.append(
                measure(f"http://127.0.0.1:{alone}", [], {"server": p}, args.viewers, args.seconds, args.rate)
            )
        redis_args = [
            redis_server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            tmp,
        ]
        broker = f"redis://127.0.0.1:{port}"
        o_port, e_ports = free_port(), [free_port(), free_port()]
        with contextlib.ExitStack() as stack:
            procs = {"redis": stack.enter_context(process(redis_args, None, logs / "redis.log"))}
            time.sleep(0.5)
            procs["origin"] = stack.enter_context(
                process(
                    [
                        *py,
                        "serve",
                        "--port",
                        str(o_port),
                        "--no-history",
                        "--broker",
                        broker,
                        *limits,
                        "--max-run-seconds",
                        "300",
                    ],
                    f"http://127.0.0.1:{o_port}/api/health",
                    logs / "origin.log",
                )
            )
            for i, e in enumerate(e_ports):
                procs[f"edge{i + 1}"] = stack.enter_context(
                    process(
                        [*py, "edge", "--port", str(e), "--broker", broker, *limits],
                        f"http://127.0.0.1:{e}/api/health",
                        logs / f"edge{i}.log",
                    )
                )
            edges = [f"http://127.0.0.1:{e}" for e in e_ports]
            rows.append(
                measure(f"http://127.0.0.1:{o_port}", edges, procs, args.viewers, args.seconds, args.rate)
            )
    targets = {"no_viewer_missed_an_event": all(r["viewers_with_every_event"] == r["viewers"] for r in rows)}
    report({"benchmark": "broadcast", "machine": machine(), "rows": rows, "targets_met": targets}, args.json)


if __name__ == "__main__":
    main()
