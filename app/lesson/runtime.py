"""A run's main process: its entry point (`run_main`), the server watch and a flushing exit.

The server starts one process per run (`run_main`). It becomes the leader of a new process group, so
that every process the scenario starts (and every helper the stdlib starts for it: a nested forkserver,
a Manager's server, Pool workers) can be signalled at once when the run is cancelled or times out.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sys
import threading
import time
import traceback
from multiprocessing.process import BaseProcess
from typing import Any

from app.events import WireEvent
from app.lesson.reporter import Reporter
from app.lesson.scenario import RunContext, Scenario
from app.lesson.signals import install_child_handlers
from app.lesson.watch import CLEANUP_GRACE_S, ChildDied, ChildWatch, WorkerFailed, describe_exit

MAIN_PROC = "main"
# What a run's own forkserver preloads: the lesson runtime and every scenario, imported once.
PRELOAD = ["app.lesson.runtime", "app.scenarios"]


def watch_server(server_pid: int, interval: float = 0.5) -> None:
    """Thread in a run's main process: if the server has gone, end the run's whole process group.
    The reaper process normally does this at once; this is the second line, should the reaper die too."""
    while True:
        time.sleep(interval)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os.killpg(0, signal.SIGKILL)


def exit_flushing(rep: Reporter, code: int, timeout: float = 3.0) -> None:
    """Leave after sending what was reported, waiting at most `timeout` for it. A process killed while
    its queue feeder held the queue's write lock leaves that lock taken for ever: then the stdlib's
    exit (which joins our feeder) would hang the run until its time limit. The final events are safe
    anyway: they are in the queue's last words, which the server reads in shared memory."""
    rep.queue.close()
    flusher = threading.Thread(target=rep.queue.join_thread, daemon=True)
    flusher.start()
    flusher.join(timeout)
    if flusher.is_alive():
        os._exit(code)
    sys.exit(code)


def final_words(
    rep: Reporter, failed: BaseProcess | None, error: str, tb: str
) -> tuple[WireEvent | None, WireEvent]:
    """The run's final events: the failed child's exit (when known), then the run's error. Kept in
    shared memory at once, for when a killed process left the queue's write lock taken (see
    EventQueue.write_last_words); the caller sends them too, where the queue still works."""
    exit_ = None
    if failed is not None and failed.pid is not None:
        exit_ = rep.wire_for(failed.pid, failed.name, "process.exit", exitcode=failed.exitcode)
    run_error = rep.wire_for(os.getpid(), MAIN_PROC, "run.error", error=error, traceback=tb)
    rep.queue.write_last_words([exit_, run_error] if exit_ else [run_error])
    return exit_, run_error


STUCK = (
    "The run failed, then its main process did not finish cleaning up within {grace:g} s, so mpscope "
    "ended it. A Pool's clean-up (terminate(), as `with Pool(...)` does) waits for ever when the killed "
    "worker held its task queue's lock, or when a worker the Pool had just started in its place missed "
    "the SIGTERM that ends it (a signal that lands as a forked child starts is dropped by Python). "
    "The main process was here:\n"
)


def give_up(rep: Reporter, dead: BaseProcess, where: str) -> None:
    """ChildWatch's on_stuck, in its thread: a child died and the main thread's clean-up is stuck. The
    failure goes to shared memory (the queue may be stuck as well), then the whole group ends."""
    error = f"WorkerFailed: {describe_exit(dead.name, dead.pid, dead.exitcode)}"
    final_words(rep, dead, error, STUCK.format(grace=CLEANUP_GRACE_S) + where)
    os.killpg(0, signal.SIGKILL)


def run_main(
    scenario: Scenario[Any],
    params: dict[str, Any],
    rep: Reporter,
    start_method: str,
    server_pid: int | None = None,
    seed: int | None = None,
) -> None:
    """Entry point of a run's main process: runs the scenario and reports its result or error."""
    os.setpgid(0, 0)
    random.seed(seed)
    install_child_handlers()
    rep.reset_stats()
    if server_pid is not None:
        threading.Thread(target=watch_server, args=(server_pid,), name="watch-server", daemon=True).start()
    multiprocessing.current_process().name = MAIN_PROC
    rep.emit("process.start", ppid=os.getppid(), role="main")
    mp = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        mp.set_forkserver_preload(PRELOAD)  # the run's own forkserver
    watch = ChildWatch(mp, on_stuck=lambda dead, where: give_up(rep, dead, where))
    watch.start()
    try:
        result = scenario.run(RunContext(mp, rep, start_method, watch, seed), scenario.Params(**params))
        watch.disarm()
        rep.emit_stats()
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, then the run fails
        watch.disarm()
        error = watch.explain(exc)
        # When a child failed, where the main process happened to be waiting is noise: the child's own
        # traceback (its process.error event) is the one that explains the failure.
        tb = "" if isinstance(exc, WorkerFailed) else traceback.format_exc()
        # The final events: the failed child's exit, then the run's error. Kept in shared memory too,
        # for when a killed process left the queue's write lock taken (EventQueue.write_last_words).
        failed = exc.process if isinstance(exc, WorkerFailed) else None
        exit_, run_error = final_words(rep, failed, error, tb)
        if exit_ is not None and isinstance(exc, ChildDied):  # join_all reported its exit already
            rep.put_final(exit_)
        rep.put_final(run_error)
        for child in multiprocessing.active_children():
            child.kill()
        watch.stop()
        exit_flushing(rep, 1)
    finally:
        watch.stop()
    rep.emit_final("run.result", result=result)
