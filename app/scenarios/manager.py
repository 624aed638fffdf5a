"""Manager: a server process holds a list and a dict; workers change them through proxies.

`SyncManager.start()` launches a server process that owns the real list and dict. Every worker gets
proxies: each proxy call (append, __setitem__) is a message to the server and its reply, a round trip
between processes. Beside it, the same number of increments on a shared Value, which lives in shared
memory and needs no server, for contrast.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from multiprocessing.managers import SyncManager
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario
from app.lesson.signals import install_child_handlers


class ManagerParams(Params):
    workers: int = Field(3, ge=1, le=8, description="worker processes")
    ops: int = Field(10, ge=1, le=1000, description="list appends and dict writes per worker")
    delay_ms: int = Field(50, ge=0, le=1000, description="slow motion: pause between operations")


def manager_started(rep: Reporter) -> None:
    """The initializer of the manager's server process: give it a lane of its own."""
    install_child_handlers()
    multiprocessing.current_process().name = "manager"
    rep.emit("process.start", ppid=os.getppid(), role="manager")


def timed_us(start_ns: int) -> float:
    return round((time.perf_counter_ns() - start_ns) / 1000, 1)


def worker(
    rep: Reporter,
    shared_list: Any,
    shared_dict: Any,
    counter: Any,
    report: Any,
    index: int,
    ops: int,
    delay_ms: int,
    server: int,
) -> None:
    proxy_us, value_us = [], []
    for n in range(ops):
        time.sleep(delay_ms / 1000)
        item = f"w{index}-{n}"

        start = time.perf_counter_ns()
        shared_list.append(item)  # a message to the manager's server process, and its reply
        us = timed_us(start)
        rep.emit("manager.call", method="append", target="list", arg=item, us=us, server=server)
        proxy_us.append(us)

        start = time.perf_counter_ns()
        shared_dict[item] = n  # another round trip
        us = timed_us(start)
        rep.emit("manager.call", method="__setitem__", target="dict", arg=item, value=n, us=us, server=server)
        proxy_us.append(us)

        start = time.perf_counter_ns()
        with counter.get_lock():  # shared memory: no server, no message
            counter.value += 1
            value = counter.value
        us = timed_us(start)
        rep.emit("value.write", name="counter", value=value, us=us)
        value_us.append(us)
    report.put((proxy_us, value_us))


class ManagerScenario(Scenario[ManagerParams]):
    id = "manager"
    title = "Manager: a shared list and dict behind a server process"
    title_zh = "Manager：由伺服器進程管理的共享 list 與 dict"
    concepts = ("Manager", "proxy", "server process", "Value")
    explanation = {
        "en": (
            "A Manager provides higher-level shared objects such as list and dict. It actually starts a "
            "server process that holds these objects; the other processes reach them through proxies. "
            "Watch the 'manager' lane: it is a process of its own. Every shared_list.append(...) or "
            "shared_dict[key] = ... in a worker is a message to that server and a reply: a round trip "
            "(manager call ticks). In the end the list holds every appended item and the dict every key. "
            "Compare the cost: a proxy call takes far longer than an increment of a shared Value, which "
            "lives in shared memory and needs no server."
        ),
        "zh": (
            "Manager(管理器)提供更高級的共享對象,例如 list、dict 等。它實際上啟動了一個服務器進程,"
            "負責管理這些共享對象,其他進程通過代理(proxy)訪問。請留意「manager」這條時間軸:它是一個"
            "獨立的進程。工作進程中每一次 shared_list.append(...) 或 shared_dict[key] = ...,都是送給該"
            "服務器的一則消息和一則回覆:一次來回(manager call 刻度)。最後 list 包含每個附加的項目,dict "
            "包含每個鍵。請比較成本:一次代理呼叫比一次共享 Value 的遞增慢得多,因為 Value 位於共享"
            "記憶體中,不需要服務器。"
        ),
    }
    Params = ManagerParams
    presets = {
        # The tutorial only describes Manager; its simplest use: two workers, a few calls each.
        "tutorial": {"workers": 2, "ops": 5, "delay_ms": 100},
        "many calls": {"workers": 4, "ops": 300, "delay_ms": 0},
    }

    def processes(self, params: ManagerParams) -> int:
        return params.workers + 2  # the workers, the manager's server process and main

    def run(self, ctx: RunContext, params: ManagerParams) -> dict[str, Any]:
        manager = SyncManager(ctx=ctx.mp)
        before = set(multiprocessing.active_children())
        manager.start(manager_started, (ctx.rep,))  # starts the server process
        # The manager's server is the one new child (the stdlib keeps its handle private).
        server = next(p for p in multiprocessing.active_children() if p not in before)
        ctx.watch.add(server)  # if the server dies, the run fails at once, naming it
        try:
            shared_list = manager.list()  # proxies: the real list and dict live in the server
            shared_dict = manager.dict()
            counter = ctx.mp.Value("i", 0)
            report = ctx.mp.Queue()
            procs = [
                ctx.Process(
                    worker,
                    (shared_list, shared_dict, counter, report, i, params.ops, params.delay_ms, server.pid),
                    name=f"worker-{i}",
                )
                for i in range(params.workers)
            ]
            ctx.start_all(procs)
            timings = [report.get(timeout=120) for _ in procs]  # read before joining
            ctx.join_all(procs)
            result_list, result_dict = shared_list[:], shared_dict.copy()  # plain copies, one call each
        finally:
            ctx.watch.release(server)  # from here on its end is expected
            manager.shutdown()  # stops the server process
            ctx.rep.emit_for(server.pid or 0, "manager", "process.exit", exitcode=server.exitcode)

        return {
            "list": result_list,
            "dict": result_dict,
            "proxy_call_us_p50": statistics.median(us for proxy_us, _ in timings for us in proxy_us),
            "value_op_us_p50": statistics.median(us for _, value_us in timings for us in value_us),
        }
