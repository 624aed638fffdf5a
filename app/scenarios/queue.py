"""Producers and consumers: a multiprocessing.Queue passes messages between processes.

Producers put items into a bounded Queue, consumers get them out. When the queue is full a put
blocks until a consumer makes room (back-pressure); when it is empty a get blocks until a producer
puts something. After the producers finish, the main process puts one None per consumer: a
sentinel that tells each consumer to stop. Every item arrives exactly once.
"""

from __future__ import annotations

import queue
import time
from collections import Counter
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario


class QueueParams(Params):
    producers: int = Field(2, ge=1, le=8, description="producer processes")
    consumers: int = Field(2, ge=1, le=8, description="consumer processes")
    items: int = Field(10, ge=1, le=10_000, description="items each producer puts")
    maxsize: int = Field(5, ge=1, le=1000, description="queue capacity: a put blocks when it is full")
    produce_ms: int = Field(50, ge=0, le=2000, description="slow motion: time to make one item")
    consume_ms: int = Field(100, ge=0, le=2000, description="slow motion: time to handle one item")


def put(rep: Reporter, q: Any, item: str | None) -> None:
    """q.put(item), reporting first when it is about to block because the queue is full."""
    try:
        q.put(item, block=False)
    except queue.Full:
        rep.emit("queue.wait_put", queue="q", depth=q.qsize())
        q.put(item)  # blocks until a consumer makes room
    rep.emit("queue.put", queue="q", item=item, depth=q.qsize())


def get(rep: Reporter, q: Any) -> str | None:
    """q.get(), reporting first when it is about to block because the queue is empty.

    (A non-blocking get also fails while another consumer is already waiting inside get(): it holds
    the queue's reading end. This one then waits too.)
    """
    try:
        item: str | None = q.get(block=False)
    except queue.Empty:
        rep.emit("queue.wait_get", queue="q", depth=q.qsize())
        item = q.get()  # blocks until a producer puts something
    rep.emit("queue.get", queue="q", item=item, depth=q.qsize())
    return item


def producer(rep: Reporter, q: Any, done: Any, index: int, items: int, produce_ms: int) -> None:
    max_depth = 0
    for n in range(items):
        time.sleep(produce_ms / 1000)  # making the item takes a while
        put(rep, q, f"p{index}-{n}")
        max_depth = max(max_depth, q.qsize())
    done.put(("produced", items, max_depth))


def consumer(rep: Reporter, q: Any, done: Any, consume_ms: int) -> None:
    received = []
    while True:
        item = get(rep, q)
        if item is None:  # the sentinel: no more items will come
            break
        received.append(item)
        time.sleep(consume_ms / 1000)  # handling the item takes a while
    done.put(("consumed", received))


class ProducerConsumer(Scenario[QueueParams]):
    id = "queue"
    title = "Queue: producers and consumers"
    title_zh = "Queue：生產者與消費者"
    concepts = ("Queue", "message passing", "back-pressure", "sentinel")
    explanation = {
        "en": (
            "A Queue passes messages between processes: one process puts data into the queue, another "
            "takes it out. Producers put items, consumers get them, and no process touches another's "
            "memory. The queue holds at most maxsize items: when it is full, a producer's put blocks "
            "(hatched, 'waiting: queue full') until a consumer makes room; when it is empty, a consumer's "
            "get blocks ('waiting: queue empty'). Watch the depth bar rise to the limit and fall back. "
            "At the end the main process puts one None per consumer so each one stops. Every item is "
            "received exactly once: nothing lost, nothing duplicated."
        ),
        "zh": (
            "Queue(隊列)用於在進程之間傳遞消息:一個進程把數據放入隊列,另一個進程從隊列中取出數據。"
            "生產者放入項目,消費者取出項目,進程之間不直接存取彼此的記憶體。隊列最多容納 maxsize 個項目:"
            "隊列滿時,生產者的 put 會阻塞(斜線,「等待:隊列已滿」),直到消費者騰出空間;隊列空時,"
            "消費者的 get 會阻塞(「等待:隊列為空」)。請留意深度條升到上限又回落。最後主進程為每個消費者"
            "放入一個 None,讓它們停止。每個項目都恰好被收到一次:沒有遺失,也沒有重複。"
        ),
    }
    Params = QueueParams
    presets = {
        # The tutorial only describes Queue; this is its simplest form: one producer, one consumer.
        "tutorial": {
            "producers": 1,
            "consumers": 1,
            "items": 5,
            "maxsize": 5,
            "produce_ms": 150,
            "consume_ms": 150,
        },
        "backpressure": {
            "producers": 2,
            "consumers": 1,
            "items": 8,
            "maxsize": 3,
            "produce_ms": 0,
            "consume_ms": 150,
        },
        "hungry consumers": {
            "producers": 1,
            "consumers": 3,
            "items": 8,
            "maxsize": 5,
            "produce_ms": 200,
            "consume_ms": 0,
        },
    }

    def processes(self, params: QueueParams) -> int:
        return params.producers + params.consumers + 1

    def run(self, ctx: RunContext, params: QueueParams) -> dict[str, Any]:
        q = ctx.mp.Queue(maxsize=params.maxsize)
        done = ctx.mp.Queue()  # each producer and consumer reports what it put or got
        producers = [
            ctx.Process(producer, (q, done, i, params.items, params.produce_ms), name=f"producer-{i}")
            for i in range(params.producers)
        ]
        consumers = [
            ctx.Process(consumer, (q, done, params.consume_ms), name=f"consumer-{i}")
            for i in range(params.consumers)
        ]
        ctx.start_all(consumers + producers)
        ctx.join_all(producers)
        for _ in consumers:
            put(ctx.rep, q, None)  # one sentinel per consumer: "stop"
        reports = [done.get(timeout=60) for _ in producers + consumers]  # read before joining consumers
        ctx.join_all(consumers)

        made = [f"p{i}-{n}" for i in range(params.producers) for n in range(params.items)]
        consumed = [item for report in reports if report[0] == "consumed" for item in report[1]]
        counts = Counter(consumed)
        return {
            "produced": sum(report[1] for report in reports if report[0] == "produced"),
            "consumed": len(consumed),
            "max_depth": max(report[2] for report in reports if report[0] == "produced"),
            "lost": sorted(set(made) - set(consumed)),
            "duplicated": sorted(item for item, n in counts.items() if n > 1),
        }
