"""The stdlib internals the trace runtime patches, on each Python version it supports (3.11-3.15).

app/trace/boot/_mpscope_trace patches private parts of multiprocessing and concurrent.futures. Where a
version changed one of them, the patch follows it, and a test here names the version; the rest pin the
shape each patch relies on, so that a version that changes it again fails here, by name, first.
docs/trace.md ("Python versions") lists what changed, version by version.
"""

from __future__ import annotations

import inspect
import multiprocessing
import sys
from concurrent.futures import process as cf_process
from concurrent.futures import thread as cf_thread
from multiprocessing import context, popen_fork, queues, shared_memory, synchronize
from multiprocessing import process as mp_process
from pathlib import Path

import pytest

from tests.trace.programs import METHODS, check_common, of, run_plain_and_traced

PY313 = sys.version_info >= (3, 13)


def source(obj: object) -> str:
    return inspect.getsource(obj)  # type: ignore[arg-type]


# -- Python 3.13: util._exit_function left BaseProcess._bootstrap (gh-83856) -------------------------
def test_py313_moved_the_exit_function_out_of_bootstrap() -> None:
    """Up to 3.12 _bootstrap calls util._exit_function (which joins the child's own children); from
    3.13 fork and forkserver register it with atexit in the child, to run after _bootstrap, and spawn's
    runs at interpreter exit. _mpscope_trace/process.py reports a child's exit after it on either."""
    in_bootstrap = "_exit_function" in source(mp_process.BaseProcess._bootstrap)  # type: ignore[attr-defined]
    in_fork = "atexit.register(util._exit_function)" in source(popen_fork.Popen._launch)  # type: ignore[attr-defined]
    assert (in_bootstrap, in_fork) == ((False, True) if PY313 else (True, False))


@pytest.mark.parametrize("method", METHODS)
def test_py313_a_child_reports_its_exit_after_multiprocessing_joined_its_children(
    method: str, tmp_path: Path
) -> None:
    """The child returns without joining its own child: multiprocessing joins it as the child exits.
    On every version the child's lane shows that join before the child's exit (on 3.13+ the exit came
    first before process.py followed the move above)."""
    out = tmp_path / "t.ndjson"
    plain, traced, events = run_plain_and_traced("child_leaves_a_child.py", [method], [method], out)
    assert plain.code == traced.code == 0, traced.stderr
    assert traced.stdout == plain.stdout == "child returns\ngrandchild done\nchild exit code: 0\n"
    check_common(events, 0, method)
    (child,) = {e["pid"] for e in of(events, "process.start") if e["proc"] == "child"}
    (grandchild,) = {e["pid"] for e in of(events, "process.start") if e["proc"] == "grandchild"}
    order = [
        (e["kind"], e["data"].get("process"))
        for e in events
        if e["kind"] in ("process.join_wait", "process.join", "process.exit", "reporter.stats")
        and e["pid"] in (child, grandchild)
        and not (e["pid"] == grandchild and e["kind"] in ("process.exit", "reporter.stats"))
    ]
    # the child waits for the grandchild, sees it joined, then exits, then reports its counts; the
    # parent's join of the child comes last
    assert order == [
        ("process.join_wait", "grandchild"),
        ("process.join", None),
        ("process.exit", None),
        ("reporter.stats", None),
        ("process.join", None),
    ], order
    joins = of(events, "process.join")
    assert [(e["pid"], e["data"]["exitcode"]) for e in joins] == [(grandchild, 0), (child, 0)]


# -- the shapes the patches rely on, on every version ------------------------------------------------
def test_a_semlock_pickles_as_four_fields_on_every_version() -> None:
    """sync.py appends its mark to SemLock.__getstate__'s tuple and hands the first 4 back."""
    lock = multiprocessing.get_context("spawn").Lock()
    context.set_spawning_popen(object())  # __getstate__ refuses outside of a process start
    try:
        state = lock.__getstate__()  # type: ignore[attr-defined]
    finally:
        context.set_spawning_popen(None)
    assert len(state) == 4


def test_py314_lock_gained_locked_which_asks_the_semlock_not_acquire() -> None:
    """3.14 added Lock.locked() and RLock.locked(): they read the SemLock directly, so a traced Lock
    (whose acquire and release are sync.py's) answers them unchanged."""
    has = hasattr(synchronize.Lock, "locked")
    assert has == (sys.version_info >= (3, 14))
    if has:
        assert "self._semlock." in source(synchronize.SemLock.locked)  # type: ignore[attr-defined]


def test_queue_depth_is_read_from_the_queues_semaphore_on_every_version() -> None:
    """queues.py's depth is maxsize - the semaphore's value, as qsize() computes it (3.14 spells it
    get_value(); both read the same SemLock)."""
    q = multiprocessing.get_context("spawn").Queue(3)
    try:
        q.put(1)
        assert q._maxsize - q._sem._semlock._get_value() == 1  # type: ignore[attr-defined]  # noqa: SLF001
    finally:
        q.close()
        q.join_thread()
    assert "_sem" in source(queues.Queue.qsize)


def test_py313_shared_memory_takes_track_and_the_patch_passes_it_on() -> None:
    """3.13 added SharedMemory(..., track=): shm.py's __init__ passes on whatever it is given."""
    params = inspect.signature(shared_memory.SharedMemory.__init__).parameters
    assert ("track" in params) == (sys.version_info >= (3, 13))
    assert list(params)[:4] == ["self", "name", "create", "size"]


def test_the_process_pool_executor_internals_the_patch_replaces() -> None:
    """executor.py replaces _process_worker and _sendback_result (module globals, looked up when a worker
    starts: 3.14's _spawn_worker, which also starts the replacement of a worker that retired, looks it
    up too) and wraps _ExecutorManagerThread.process_result_item."""
    sendback = inspect.signature(cf_process._sendback_result).parameters  # noqa: SLF001
    assert list(sendback)[:4] == ["result_queue", "work_id", "result", "exception"]
    assert list(inspect.signature(cf_process._process_worker).parameters)[0] == "call_queue"  # noqa: SLF001
    assert hasattr(cf_process._ExecutorManagerThread, "process_result_item")  # noqa: SLF001
    spawner = getattr(cf_process, "_spawn_worker", None)
    assert (spawner is not None) == (sys.version_info >= (3, 14))
    if spawner is not None:
        assert "target=_process_worker" in source(spawner)


def test_py314_changed_the_thread_pools_work_item() -> None:
    """Up to 3.13 _WorkItem(future, fn, args, kwargs) and run(); from 3.14 _WorkItem(future, task) and
    run(ctx), the task (fn, args, kwargs). threadpool.py passes on whatever it is given and reads the
    arguments from either (the thread_executor and dummy_pool trace programs show them)."""
    item = cf_thread._WorkItem  # noqa: SLF001
    init = list(inspect.signature(item.__init__).parameters)
    run = list(inspect.signature(item.run).parameters)
    if sys.version_info >= (3, 14):
        assert (init, run) == (["self", "future", "task"], ["self", "ctx"])
    else:
        assert (init, run) == (["self", "future", "fn", "args", "kwargs"], ["self"])
