"""Pipe: a connection between exactly two processes, used for ping-pong or for one-way messages.

`multiprocessing.Pipe()` returns two Connection objects, one per end. With duplex=True (ping-pong)
both ends can send and receive: "ping" sends a number, "pong" sends it back, and ping measures the
round trip. With duplex=False (one-way) one end only sends and the other only receives.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Literal

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class PipeParams(Params):
    mode: Literal["ping-pong", "one-way"] = Field(
        "ping-pong", description="ping-pong: duplex, every message comes back; one-way: send only"
    )
    messages: int = Field(10, ge=1, le=10_000, description="messages the first process sends")
    delay_ms: int = Field(100, ge=0, le=2000, description="slow motion: pause before each message")


def p50(values: list[float]) -> float | None:
    """The median, in microseconds (None when there is nothing to measure)."""
    return round(statistics.median(values), 1) if values else None


def ping(rep: Reporter, conn: Any, report: Any, messages: int, delay_ms: int) -> None:
    round_trips = []
    for n in range(messages):
        time.sleep(delay_ms / 1000)
        rep.emit("pipe.send", pipe="pipe", msg=n)
        start = time.perf_counter_ns()
        conn.send(n)
        reply = conn.recv()  # waits until pong sends it back
        round_trips.append((time.perf_counter_ns() - start) / 1000)
        rep.emit("pipe.recv", pipe="pipe", msg=reply)
    conn.close()
    report.put({"sent": messages, "replies": len(round_trips), "round_trip_us_p50": p50(round_trips)})


def pong(rep: Reporter, conn: Any, report: Any, messages: int) -> None:
    received = 0
    for _ in range(messages):
        msg = conn.recv()
        received += 1
        rep.emit("pipe.recv", pipe="pipe", msg=msg)
        rep.emit("pipe.send", pipe="pipe", msg=msg)
        conn.send(msg)  # the same message, back to ping
    conn.close()
    report.put({"received": received})


def sender(rep: Reporter, conn: Any, report: Any, messages: int, delay_ms: int) -> None:
    for n in range(messages):
        time.sleep(delay_ms / 1000)
        rep.emit("pipe.send", pipe="pipe", msg=n)
        conn.send((n, time.monotonic_ns()))  # the send time travels with the message
    conn.close()
    report.put({"sent": messages})


def receiver(rep: Reporter, conn: Any, report: Any, messages: int) -> None:
    latencies = []
    for _ in range(messages):
        n, sent_ns = conn.recv()
        latencies.append((time.monotonic_ns() - sent_ns) / 1000)  # one clock for every process
        rep.emit("pipe.recv", pipe="pipe", msg=n)
    conn.close()
    report.put({"received": len(latencies), "one_way_us_p50": p50(latencies)})


class PipeScenario(Scenario[PipeParams]):
    id = "pipe"
    title = "Pipe: messages between two processes"
    title_zh = "Pipe：兩個進程之間的訊息"
    concepts = ("Pipe", "Connection", "message passing", "round trip")
    explanation = {
        "en": (
            "A Pipe is like a Queue, but it connects exactly two processes, and it is often used for "
            "one-way communication. Pipe() returns two ends. In ping-pong mode the pipe is duplex: "
            "'ping' sends a number, 'pong' receives it and sends it back, and ping measures the round "
            "trip. Watch each message leave one lane (send) and arrive on the other (recv), and compare "
            "the round trip with the pause between messages: passing a small message takes only "
            "microseconds. In one-way mode (duplex=False) one end can only send and the other can only "
            "receive."
        ),
        "zh": (
            "Pipe(管道)類似於 Queue,但通常用於兩個進程之間的單向通信。Pipe() 回傳管道的兩端。"
            "在 ping-pong 模式下管道是雙向的:「ping」送出一個數字,「pong」收到後把它送回,ping 量測"
            "來回時間。請留意每則消息從一條時間軸離開(send),再到達另一條(recv),並比較來回時間與"
            "消息之間的停頓:傳遞一則小消息只需要幾微秒。在單向模式(duplex=False)下,一端只能發送,"
            "另一端只能接收。"
        ),
    }
    Params = PipeParams
    presets = {
        # The tutorial only describes Pipe ("usually one-way, between two processes").
        "tutorial": {"mode": "one-way", "messages": 5, "delay_ms": 200},
        "ping-pong": {"mode": "ping-pong", "messages": 10, "delay_ms": 100},
        "flat out": {"mode": "ping-pong", "messages": 2000, "delay_ms": 0},
    }

    def processes(self, params: PipeParams) -> int:
        return 3

    def run(self, ctx: RunContext, params: PipeParams) -> dict[str, Any]:
        report = ctx.mp.Queue()  # each side reports its counts and timings here
        if params.mode == "ping-pong":
            a, b = ctx.mp.Pipe()  # duplex: both ends send and receive
            procs = [
                ctx.Process(ping, (a, report, params.messages, params.delay_ms), name="ping"),
                ctx.Process(pong, (b, report, params.messages), name="pong"),
            ]
        else:
            receive_end, send_end = ctx.mp.Pipe(duplex=False)  # the first end receives, the second sends
            procs = [
                ctx.Process(sender, (send_end, report, params.messages, params.delay_ms), name="sender"),
                ctx.Process(receiver, (receive_end, report, params.messages), name="receiver"),
            ]
        ctx.start_all(procs)
        ctx.join_all(procs)
        reports = [report.get(timeout=10) for _ in procs]

        merged = {k: v for r in reports for k, v in r.items()}
        return {
            "mode": params.mode,
            "sent": merged["sent"],
            "received": merged["received"],
            "replies": merged.get("replies"),
            "round_trip_us_p50": merged.get("round_trip_us_p50"),
            "one_way_us_p50": merged.get("one_way_us_p50"),
        }
