"""Fan-out benchmark: latency from an event's emit to its arrival at every viewer, and server CPU.

A `firehose` run emits 1,000 events/s (each carries its emit time, `sent_ns`, on the clock all
processes share); V WebSocket viewers, spread over a few client processes, follow it live. Every
viewer checks that it got every event in seq order; latency is taken, by one viewer in ten (the
others read seqs from the bytes without parsing: the clients' own CPU would count as the server's
latency), for events emitted after it was connected. Viewers are a minimal WebSocket reader
(bench/wsviewer.py) so that, on the same 2 cores, the clients cost less than the server they measure;
they decode what they get as a browser does.

Two kinds of viewer (--kinds): `browser` offers permessage-deflate, as every browser does, and inflates
what it gets (per-message deflate, or the server's compressed-once binary frames); `plain` offers no
extension (what this bench measured before issue 16) and, on a compress-once server, asks for JSON
text (?encoding=json). Two servers (--modes), measured in the same run, interleaved: `per-viewer`
(text frames that each connection deflates: the baseline, before issue 16) and `once` (each frame
compressed once, the same bytes for every viewer: app/frames.py).
Targets (issue 16, browser viewers, `once`): p99 <= 30 ms at 100 viewers; <= 60 ms at 500 with the
server at <= 0.5 cores; every viewer gets every event, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import time
from functools import partial
from typing import Any

import httpx
import psutil

from app import jsonio
from bench.common import machine, percentile, report, server
from bench.wsviewer import RawViewer, seq_span

SAMPLE_EVERY = 10  # one viewer in ten parses every frame and measures latency; all of them check seqs


class Viewer(RawViewer):
    """Checks every event came, in order, and takes the latency of the first and last of each frame."""

    def __init__(
        self,
        host: str,
        path: str,
        offer_deflate: bool,
        done: asyncio.Future[tuple[list[int], int, bool]],
        sample: bool = True,
    ) -> None:
        super().__init__(host, path, offer_deflate)
        self.done = done
        self.latencies: list[int] = []
        self.expected = 0
        self.sample = sample  # latency viewer: parses every frame (the others check seqs from the bytes)

    def message(self, payload: bytes, now: int) -> None:
        if self.sample:
            self.frame(jsonio.loads(payload), now)
        else:
            self.take(*seq_span(payload))

    def take(self, first: int, last: int, count: int) -> None:
        # Per frame, not per event: seqs are contiguous iff the first is the one expected and the last
        # is first + len - 1.
        if first != self.expected or last != self.expected + count - 1:
            raise AssertionError(f"gap: expected {self.expected}, got {first}..{last} ({count} events)")
        self.expected += count

    def frame(self, frame: list[dict[str, Any]], now: int) -> None:
        self.take(frame[0]["seq"], frame[-1]["seq"], len(frame))
        for event in (frame[0], frame[-1]):  # the oldest event in a frame waited longest
            sent = event["data"].get("sent_ns") if event["kind"] == "log" else None
            if sent is not None and sent > self.connected:
                self.latencies.append(now - sent)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result((self.latencies, self.expected, self.deflate))


def _client_process(url: str, viewers: int, offer_deflate: bool, results: Any) -> None:
    host, path = url.removeprefix("ws://").split("/", 1)
    address, port = host.split(":")

    async def main() -> tuple[list[int], list[int], int]:
        loop = asyncio.get_running_loop()
        futures = []
        for i in range(viewers):
            done: asyncio.Future[tuple[list[int], int, bool]] = loop.create_future()
            viewer = partial(Viewer, host, "/" + path, offer_deflate, done, i % SAMPLE_EVERY == 0)
            await loop.create_connection(viewer, address, int(port))
            futures.append(done)
        outcomes = await asyncio.gather(*futures)
        latencies = [x for lat, _, _ in outcomes for x in lat]
        return latencies, [n for _, n, _ in outcomes], sum(1 for *_, deflate in outcomes if deflate)

    results.put(asyncio.run(main()))


def measure(base: str, mode: str, kind: str, viewers: int, seconds: float, rate: int) -> dict[str, Any]:
    params = {"processes": 1, "events": int(seconds * rate), "rate": rate}
    load_before = os.getloadavg()[0]  # the machine is shared: what else ran is part of the figure
    stats_before = httpx.get(f"{base}/api/stats").json()
    run = httpx.post(f"{base}/api/runs", json={"scenario": "firehose", "params": params}).json()
    url = base.replace("http", "ws") + f"/ws/runs/{run['id']}"
    if kind == "plain" and mode == "once":
        url += "?encoding=json"  # the fallback for a client that cannot inflate: JSON text
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    per_client = [viewers // 4 + (1 if i < viewers % 4 else 0) for i in range(min(4, viewers))]
    clients = [
        ctx.Process(target=_client_process, args=(url, n, kind == "browser", results))
        for n in per_client
        if n
    ]
    server_proc = next(p for p in psutil.Process().children() if "app" in " ".join(p.cmdline()))
    cpu_before, wall_before = server_proc.cpu_times(), time.monotonic()
    for c in clients:
        c.start()
    gathered = [results.get(timeout=seconds + 120) for _ in clients]
    cpu_after, wall_after = server_proc.cpu_times(), time.monotonic()
    for c in clients:
        c.join()
    latencies = [x / 1e6 for lat, _, _ in gathered for x in lat]
    counts = [n for _, cs, _ in gathered for n in cs]
    final = httpx.get(f"{base}/api/runs/{run['id']}").json()
    stats = httpx.get(f"{base}/api/stats").json()
    cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / (
        wall_after - wall_before
    )
    return {
        "mode": mode,
        "viewer_kind": kind,
        "viewers": viewers,
        "events_per_s": rate,
        "latency_ms_p50": round(percentile(latencies, 50), 1),
        "latency_ms_p99": round(percentile(latencies, 99), 1),
        "latency_ms_max": round(max(latencies), 1) if latencies else None,
        "samples": len(latencies),
        "viewers_with_every_event": sum(1 for n in counts if n == final["event_count"]),
        "viewers_with_permessage_deflate": sum(deflate for *_, deflate in gathered),
        "server_cores": round(cpu, 2),
        "load_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],  # before, after
        "dropped_events": final["dropped_events"],
        # the server's own count: live frames built, and compressed (once each at most, whatever V)
        "frames_built": stats["frames_built"] - stats_before["frames_built"],
        "frames_compressed": stats["frames_compressed"] - stats_before["frames_compressed"],
        "compressions": stats["compressions"] - stats_before["compressions"],  # backlogs included
    }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (mode, kind, viewers): the median p99 and cores over the repeats, and their spread."""
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["mode"], r["viewer_kind"], r["viewers"]), []).append(r)
    table = []
    for (mode, kind, viewers), rs in groups.items():
        p99 = [r["latency_ms_p99"] for r in rs]
        cores = [r["server_cores"] for r in rs]
        table.append(
            {
                "mode": mode,
                "viewer_kind": kind,
                "viewers": viewers,
                "runs": len(rs),
                "p99_ms_median": round(statistics.median(p99), 1),
                "p99_ms_range": [min(p99), max(p99)],
                "server_cores_median": round(statistics.median(cores), 2),
                "server_cores_range": [min(cores), max(cores)],
                "every_viewer_every_event": all(r["viewers_with_every_event"] == r["viewers"] for r in rs),
            }
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 100, 500])
    parser.add_argument("--modes", nargs="+", choices=["per-viewer", "once"], default=["per-viewer", "once"])
    parser.add_argument("--kinds", nargs="+", choices=["browser", "plain"], default=["browser", "plain"])
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each case this many times, interleaved"
    )
    args = parser.parse_args()
    rows = []
    for _ in range(args.repeat):
        for mode in args.modes:  # interleaved, so that the machine's other load falls on both alike
            opts = ("--max-viewers", "2000", "--max-run-seconds", "300", "--ws-compression", mode)
            # A history of its own (not the user's, which another version may have written), as served.
            with tempfile.TemporaryDirectory() as data, server(*opts, "--data-dir", data) as base:
                rows += [
                    measure(base, mode, kind, v, args.seconds, args.rate)
                    for v in args.viewers
                    for kind in args.kinds
                ]
    table = summarise(rows)
    after = {t["viewers"]: t for t in table if t["mode"] == "once" and t["viewer_kind"] == "browser"}
    targets = {}
    if 100 in after:
        targets["browser_p99_100_viewers_le_30ms"] = after[100]["p99_ms_median"] <= 30
    if 500 in after:
        targets["browser_p99_500_viewers_le_60ms"] = after[500]["p99_ms_median"] <= 60
        targets["server_le_0_5_cores_at_500_viewers"] = after[500]["server_cores_median"] <= 0.5
    targets["no_viewer_missed_an_event"] = all(r["viewers_with_every_event"] == r["viewers"] for r in rows)
    # Compressions: one per live frame, plus each viewer's own backlog (one frame: it joined early), never
    # one per frame per viewer.
    targets["compressed_once_per_frame"] = all(
        r["compressions"] <= r["frames_built"] + 2 * r["viewers"] for r in rows if r["mode"] == "once"
    )
    result: dict[str, object] = {
        "benchmark": "fanout",
        "machine": machine(),
        "table": table,
        "rows": rows,
        "targets_met": targets,
    }
    report(result, args.json)


if __name__ == "__main__":
    main()
