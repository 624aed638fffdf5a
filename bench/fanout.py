"""Fan-out benchmark: latency from an event's emit to its arrival at every viewer, and server CPU.

A `firehose` run emits 1,000 events/s (each carries its emit time, `sent_ns`, on the clock all
processes share); V WebSocket viewers, spread over a few client processes, follow it live. Every
viewer checks that it got every event in seq order; latency is taken for events emitted after it was
connected. Viewers are a minimal WebSocket reader (class Viewer) so that, on the same 2 cores, the
clients cost less than the server they measure. Baseline in the same run: one viewer.
Targets (issue 5): p99 <= 30 ms at 100 viewers and <= 100 ms at 500, the server using <= 1.5 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from functools import partial
from typing import Any

import httpx
import psutil

from app import jsonio
from bench.common import machine, percentile, report, server


class Viewer(asyncio.Protocol):
    """A minimal WebSocket reader: the handshake, then unmasked server frames parsed straight from the
    socket's bytes. A library client costs a task switch and several layers per message; with 500
    viewers on the same 2 cores as the server, the clients would be what is measured."""

    def __init__(self, host: str, path: str, done: asyncio.Future[tuple[list[int], int]]) -> None:
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.buf = bytearray()
        self.upgraded = False
        self.done = done
        self.latencies: list[int] = []
        self.expected = 0
        self.connected = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            assert self.buf.startswith(b"HTTP/1.1 101"), bytes(self.buf[:80])
            del self.buf[: end + 4]
            self.upgraded, self.connected = True, now
        while len(self.buf) >= 2:
            opcode, size, head = self.buf[0] & 0x0F, self.buf[1] & 0x7F, 2
            if size == 126:
                size, head = int.from_bytes(self.buf[2:4], "big"), 4
            elif size == 127:
                size, head = int.from_bytes(self.buf[2:10], "big"), 10
            if len(self.buf) < head + size:
                return
            payload = bytes(self.buf[head : head + size])
            del self.buf[: head + size]
            if opcode == 8:  # close
                self.transport.close()
                return
            if opcode == 1:
                self.frame(jsonio.loads(payload), now)

    def frame(self, frame: list[dict[str, Any]], now: int) -> None:
        # Per frame, not per event: seqs are contiguous iff the first is the one expected and the last
        # is first + len - 1; the oldest event in a frame waited longest.
        if frame[0]["seq"] != self.expected or frame[-1]["seq"] != self.expected + len(frame) - 1:
            raise AssertionError(f"gap: expected {self.expected}, got {frame[0]['seq']}..{frame[-1]['seq']}")
        self.expected += len(frame)
        for event in (frame[0], frame[-1]):
            sent = event["data"].get("sent_ns") if event["kind"] == "log" else None
            if sent is not None and sent > self.connected:
                self.latencies.append(now - sent)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result((self.latencies, self.expected))


def _client_process(url: str, viewers: int, results: Any) -> None:
    host, path = url.removeprefix("ws://").split("/", 1)
    address, port = host.split(":")

    async def main() -> tuple[list[int], list[int]]:
        loop = asyncio.get_running_loop()
        futures = []
        for _ in range(viewers):
            done: asyncio.Future[tuple[list[int], int]] = loop.create_future()
            await loop.create_connection(partial(Viewer, host, "/" + path, done), address, int(port))
            futures.append(done)
        outcomes = await asyncio.gather(*futures)
        return [x for lat, _ in outcomes for x in lat], [n for _, n in outcomes]

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
