"""Deadlock: two processes take two locks in opposite order, and each waits for the other.

A takes lock1 then lock2; B takes lock2 then lock1. When each holds its first lock and asks for the
second, neither can go on: a cycle in the wait-for graph (A waits for B, B waits for A). A timeout on
the second acquire detects it, and the process that timed out gives up its lock so the other can finish.
Taking the locks in one global order (lock1 before lock2, in every process) makes a cycle impossible.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from app.lesson.reporter import Reporter
from app.lesson.scenario import Params, RunContext, Scenario

PROCS = ("A", "B")
LOCKS = ("lock1", "lock2")
NOBODY = -1
# The wait-for graph, in shared memory: table[lock] = the process holding it,
# table[2 + process] = the lock that process waits for (NOBODY: none).


class DeadlockParams(Params):
    fix: bool = Field(False, description="ordered acquisition: both processes take lock1 before lock2")
    rounds: int = Field(3, ge=1, le=100, description="times each process takes both locks")
    hold_ms: int = Field(
        100, ge=0, le=250, description="pause holding the first lock before asking for the second"
    )
    timeout_ms: int = Field(1000, ge=50, le=5000, description="acquire(timeout=...) on the second lock")


def set_entry(table: Any, index: int, value: int) -> None:
    with table.get_lock():
        table[index] = value


def find_cycle(table: Any, me: int) -> list[list[str]] | None:
    """Follow the wait-for graph from `me`: the lock it waits for, that lock's holder, the lock that one
    waits for, ... A path that comes back to `me` is a cycle: [[process, holds, waits_for], ...]."""
    with table.get_lock():  # one consistent snapshot
        holder, waits = list(table[:2]), list(table[2:])
    cycle: list[list[str]]
    cycle, proc = [], me
    while waits[proc] != NOBODY and len(cycle) < len(PROCS):
        wanted = waits[proc]
        holds = [LOCKS[lock] for lock in range(len(LOCKS)) if holder[lock] == proc]
        cycle.append([PROCS[proc], ", ".join(holds), LOCKS[wanted]])
        proc = holder[wanted]
        if proc == me:
            first = cycle.index(min(cycle))  # start the cycle at A, whoever found it
            return cycle[first:] + cycle[:first]
        if proc == NOBODY:
            return None
    return None


def worker(
    rep: Reporter,
    me: int,
    locks: list[Any],
    order: list[int],
    table: Any,
    start_gate: Any,
    reports: Any,
    rounds: int,
    hold_ms: int,
    timeout_ms: int,
) -> None:
    first, second = order  # lock indexes, in the order this process takes them
    start_gate.wait()  # A and B begin together
    for round_no in range(1, rounds + 1):
        set_entry(table, 2 + me, first)
        rep.emit("lock.wait", lock=LOCKS[first])
        locks[first].acquire()
        set_entry(table, first, me)
        set_entry(table, 2 + me, NOBODY)
        rep.emit("lock.acquired", lock=LOCKS[first])
        time.sleep(hold_ms / 1000)  # the other process takes its first lock meanwhile

        set_entry(table, 2 + me, second)
        rep.emit("lock.wait", lock=LOCKS[second])
        t0 = time.monotonic()
        if not locks[second].acquire(timeout=timeout_ms / 1000):
            waited_ms = round((time.monotonic() - t0) * 1000)
            rep.emit("lock.timeout", lock=LOCKS[second], held=[LOCKS[first]], waited_ms=waited_ms)
            cycle = find_cycle(table, me)  # who holds what I wait for, and what does it wait for?
            if cycle:
                rep.emit("deadlock.detected", cycle=cycle)
            reports.put({"process": PROCS[me], "round": round_no, "cycle": cycle})
            set_entry(table, 2 + me, NOBODY)
            rep.emit("lock.released", lock=LOCKS[first])
            set_entry(table, first, NOBODY)
            locks[first].release()  # give up: now the other process can go on
            return
        set_entry(table, second, me)
        set_entry(table, 2 + me, NOBODY)
        rep.emit("lock.acquired", lock=LOCKS[second])
        rep.emit("log", msg=f"{PROCS[me]} holds lock1 and lock2 (round {round_no})")

        rep.emit("lock.released", lock=LOCKS[second])
        set_entry(table, second, NOBODY)
        locks[second].release()
        rep.emit("lock.released", lock=LOCKS[first])
        set_entry(table, first, NOBODY)
        locks[first].release()


class Deadlock(Scenario[DeadlockParams]):
    id = "deadlock"
    title = "Deadlock: two locks taken in opposite order"
    title_zh = "死鎖：兩把鎖以相反順序取得"
    concepts = ("Lock", "deadlock", "acquire timeout", "lock ordering")
    explanation = {
        "en": (
            "Process A takes lock1 then lock2; process B takes lock2 then lock1, with a short pause "
            "between the two. Each ends up holding one lock (solid bar) and waiting for the other "
            "(hatched bar): A waits for B and B waits for A, a cycle in the wait-for graph, and without "
            "a timeout both would wait forever. Here the second acquire has a timeout: when it expires "
            "the process reports the cycle, releases its lock and gives up, so the other can finish. "
            "Turn on 'fix': both take lock1 before lock2, one waits for the other, and no cycle can form."
        ),
        "zh": (
            "進程 A 先取 lock1 再取 lock2;進程 B 先取 lock2 再取 lock1,兩次之間稍作停頓。結果各自持有"
            "一把鎖(實心條)並等待另一把(斜線條):A 等 B、B 等 A,等待圖中出現了循環。如果沒有逾時,"
            "兩者會永遠等下去,這就是死鎖。這裡第二次 acquire 設有逾時:逾時後該進程報告這個循環,"
            "釋放它持有的鎖並放棄,讓另一個進程完成。開啟「fix」:兩個進程都先取 lock1 再取 lock2,"
            "一個只會等另一個,不可能形成循環。"
        ),
    }
    Params = DeadlockParams
    presets = {
        # The tutorial guards one counter with one Lock; with two locks, their order matters.
        "deadlock": {"fix": False, "rounds": 3, "hold_ms": 100, "timeout_ms": 1000},
        "fixed (lock order)": {"fix": True, "rounds": 3, "hold_ms": 100, "timeout_ms": 1000},
        "sometimes": {"fix": False, "rounds": 100, "hold_ms": 0, "timeout_ms": 500},
    }

    def processes(self, params: DeadlockParams) -> int:
        return 3

    def run(self, ctx: RunContext, params: DeadlockParams) -> dict[str, Any]:
        locks = [ctx.mp.Lock(), ctx.mp.Lock()]
        orders = {"A": [0, 1], "B": [1, 0]}  # A: lock1 then lock2; B: lock2 then lock1
        if params.fix:
            orders = {name: sorted(order) for name, order in orders.items()}  # one order for everyone
        table = ctx.mp.Array("i", [NOBODY] * 4)
        start_gate = ctx.mp.Barrier(2, timeout=30)
        reports = ctx.mp.Queue()
        procs = [
            ctx.Process(
                worker,
                (
                    i,
                    locks,
                    orders[name],
                    table,
                    start_gate,
                    reports,
                    params.rounds,
                    params.hold_ms,
                    params.timeout_ms,
                ),
                name=name,
            )
            for i, name in enumerate(PROCS)
        ]
        ctx.start_all(procs)
        ctx.join_all(procs)  # ends: a timeout breaks every cycle
        timeouts = []
        while not reports.empty():
            timeouts.append(reports.get())
        cycle = next((t["cycle"] for t in timeouts if t["cycle"]), None)
        return {
            "deadlocked": cycle is not None,
            "cycle": cycle,
            "timeouts": len(timeouts),
            "gave_up": sorted(t["process"] for t in timeouts),
            "fix": params.fix,
        }
