"""The child-side Reporter: cheap, never blocking, and never dropping silently."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
import time

import pytest

from app.lesson.reporter import BACKPRESSURE_SECONDS, EventQueue, Reporter

METHODS = ("forkserver", "spawn", "fork")


DRAIN_HANG_GUARD_S = 10  # 10x+ what the events below take to come through (~ms): a bug if reached


def drain(q: EventQueue, expect: int, timeout: float = DRAIN_HANG_GUARD_S) -> list[tuple]:  # type: ignore[type-arg]
    """Up to `expect` events; fewer only when `timeout` ran out (then the test's assertions fail)."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        try:
            got.append(q.get(timeout=0.1))
        except queue.Empty:
            pass
    return got


def test_emit_reports_time_pid_proc_kind_and_data() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"))
    rep = Reporter(q, time.monotonic_ns())
    rep.emit("value.read", name="counter", value=3)
    rep.emit_as("main/T1", "thread.start", thread="T1")
    rep.emit_for(42, "worker-9", "process.exit", exitcode=-9)
    (t, pid, proc, kind, data), thread_event, exit_event = drain(q, 3)
    assert t >= 0 and pid == os.getpid() and proc == "MainProcess"
    assert (kind, data) == ("value.read", {"name": "counter", "value": 3})
    assert thread_event[2:4] == ("main/T1", "thread.start")
    assert exit_event[1:] == (42, "worker-9", "process.exit", {"exitcode": -9})
    q.close()


def test_full_queue_counts_drops_and_waits_only_once() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"), maxsize=10)
    rep = Reporter(q, time.monotonic_ns())
    waits: list[float | None] = []  # the puts that may block: waits for room
    put = q.put

    def counting_put(obj: object, block: bool = True, timeout: float | None = None) -> None:
        if block:
            waits.append(timeout)
        put(obj, block, timeout)

    q.put = counting_put  # type: ignore[method-assign]
    for i in range(50):
        rep.emit("log", i=i)
    # One bounded wait for room, then drops at once (not 40 waits).
    assert waits == [BACKPRESSURE_SECONDS]
    assert rep.dropped == 40
    assert len(drain(q, 10)) == 10
    rep.emit("log", msg="room again")  # the queue has room: the process sends again
    assert drain(q, 1)[0][4] == {"msg": "room again"}
    assert rep.dropped == 40
    q.close()


def test_a_slow_reader_slows_the_writer_instead_of_losing_events() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"), maxsize=10)
    rep = Reporter(q, time.monotonic_ns())
    got: list[tuple] = []  # type: ignore[type-arg]

    def slow_reader() -> None:
        while len(got) < 200:
            got.append(q.get(timeout=10))
            time.sleep(0.001)

    reader = threading.Thread(target=slow_reader)
    reader.start()
    for i in range(200):
        rep.emit("log", i=i)
    reader.join(30)
    assert rep.dropped == 0
    assert [e[4]["i"] for e in got] == list(range(200))
    q.close()


def test_unpicklable_event_is_counted_as_dropped() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"))
    rep = Reporter(q, time.monotonic_ns())
    rep.emit("log", lock=threading.Lock())  # cannot be pickled: the feeder thread fails on it
    rep.emit("log", msg="after")
    (event,) = drain(q, 1)
    assert event[4] == {"msg": "after"}
    assert rep.dropped == 1
    q.close()


def test_disabled_reporter_sends_nothing() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"))
    Reporter(q, time.monotonic_ns(), enabled=False).emit("log")
    assert drain(q, 1, timeout=0.3) == []
    q.close()


def _grandchild(rep: Reporter) -> None:
    rep.emit("log", msg="from grandchild")


def _child(rep: Reporter, method: str) -> None:
    rep.emit("log", msg="from child")
    p = multiprocessing.get_context(method).Process(target=_grandchild, args=(rep,), name="grandchild")
    p.start()
    p.join()


@pytest.mark.parametrize("method", METHODS)
def test_reporter_travels_to_children_and_grandchildren(method: str) -> None:
    """A Reporter pickled into a forkserver child and then inherited by a forked grandchild still
    delivers: the stdlib alone would leave the grandchild's puts in a buffer nobody sends."""
    ctx = multiprocessing.get_context("forkserver")
    q = EventQueue(ctx)
    rep = Reporter(q, time.monotonic_ns())
    p = ctx.Process(target=_child, args=(rep, method), name="child")
    p.start()
    events = drain(q, 2)
    p.join(10)
    assert sorted((e[2], e[4]["msg"]) for e in events) == [
        ("child", "from child"),
        ("grandchild", "from grandchild"),
    ]
    assert rep.dropped == 0
    q.close()


def test_read_batch_reads_the_stdlib_framing_small_and_large() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"))
    rep = Reporter(q, time.monotonic_ns())
    big = "x" * 100_000  # over 16 KiB: the stdlib sends header and body in two writes
    for i in range(500):
        rep.emit("log", i=i, pad=big if i % 100 == 0 else "")
    got: list[tuple] = []  # type: ignore[type-arg]
    deadline = time.monotonic() + DRAIN_HANG_GUARD_S
    while len(got) < 500 and time.monotonic() < deadline:
        got += q.read_batch(timeout=0.1, max_bytes=4096)  # small reads: frames straddle reads
    assert [e[4]["i"] for e in got] == list(range(500))
    assert all(len(e[4]["pad"]) == (100_000 if e[4]["i"] % 100 == 0 else 0) for e in got)
    assert q.qsize() == 0  # every event read released its slot in the bounded queue
    q.close()


def test_read_batch_reports_end_of_stream_and_torn_events() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"))
    q._writer.send_bytes(b"abc")  # a whole (if odd) message ...
    os.write(q._writer.fileno(), (1000).to_bytes(4, "big") + b"only part")  # ... then a torn one
    q._writer.close()
    with pytest.raises(pickle.UnpicklingError):  # b"abc" is no pickle
        q.read_batch(timeout=1)
    q2 = EventQueue(multiprocessing.get_context("spawn"))
    os.write(q2._writer.fileno(), (1000).to_bytes(4, "big") + b"only part")
    q2._writer.close()
    assert q2.read_batch(timeout=1) == []
    with pytest.raises(EOFError, match="torn"):
        q2.read_batch(timeout=1)
    q.close()
    q2.close()


def test_last_words_keep_the_final_events_whole_cutting_only_a_long_traceback() -> None:
    q = EventQueue(multiprocessing.get_context("spawn"))
    rep = Reporter(q, time.monotonic_ns())
    assert q.read_last_words() == []  # nothing written: the server feeds nothing
    exit_ = rep.wire_for(42, "Process-1", "process.exit", exitcode=-9)
    error = rep.wire_for(41, "main", "run.error", error="WorkerFailed: Process-1 was killed", traceback="")
    q.write_last_words([exit_, error])
    assert q.read_last_words() == [exit_, error]

    # A traceback far past the shared buffer: the events and the one-line error stay whole, the
    # traceback keeps its end (where the exception is), and what is read back is valid.
    long_tb = "".join(f'  File "x.py", line {i}\n' for i in range(5000)) + "ValueError: the cause\n"
    t, pid, proc, kind, data = rep.wire_for(
        41, "main", "run.error", error="ValueError: the cause", traceback=long_tb
    )
    q.write_last_words([exit_, (t, pid, proc, kind, data)])
    got_exit, got_error = q.read_last_words()
    assert got_exit == exit_
    assert got_error[:4] == (t, pid, proc, kind) and got_error[4]["error"] == "ValueError: the cause"
    assert got_error[4]["traceback"].endswith("ValueError: the cause\n")
    assert len(got_error[4]["traceback"]) < len(long_tb)
