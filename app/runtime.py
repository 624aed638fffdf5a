"""What runs inside a run's processes: the run's main process entry point and the RunContext API.

The server starts one process per run (`run_main`). It becomes the leader of a new process group, so
that every process the scenario starts (and every helper the stdlib starts for it: a nested forkserver,
a Manager's server, Pool workers) can be signalled at once when the run is cancelled or times out.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import multiprocessing.connection
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from app.procs import STACKS_SIGNAL
from app.reporter import Reporter
from app.watch import ChildWatch, WorkerFailed, describe_exit

if TYPE_CHECKING:
    from app.scenarios.base import Scenario

MAIN_PROC = "main"


class RunContext:
    """Handed to `Scenario.run`: the multiprocessing context, the Reporter and instrumented helpers."""

    def __init__(
        self,
        mp: BaseContext,
        rep: Reporter,
        start_method: str,
        watch: ChildWatch | None = None,
        seed: int | None = None,
    ) -> None:
        self.mp = mp
        self.rep = rep
        self.start_method = start_method
        self.watch = watch or ChildWatch(mp)
        self.seed = seed  # the run's seed: child i seeds `random` with (seed, i), so a run can be repeated

    def Process(  # noqa: N802 - mirrors multiprocessing.Process
        self, target: Callable[..., Any], args: Sequence[Any] = (), name: str | None = None
    ) -> BaseProcess:
        """A child process whose start and exit are reported; `target(rep, *args)` is called in it.
        If it dies, the run fails at once, whatever the main process is waiting on (see app/watch.py)."""
        index = len(self.watch.children)
        child_args = (self.rep, target, tuple(args), self.watch.flags, index, self.seed)
        # Every concrete context has Process; the stub's BaseContext (what get_context(str) returns) lacks it.
        process: BaseProcess = self.mp.Process(target=child_main, args=child_args, name=name)  # type: ignore[attr-defined]
        self.watch.add(process)
        return process

    def start_all(self, procs: Iterable[BaseProcess]) -> None:
        for p in procs:
            p.start()

    def join_all(self, procs: Sequence[BaseProcess], timeout: float | None = None) -> list[int]:
        """Join every process, reporting each exit as it happens.

        Fails fast: as soon as one process ends badly, raises WorkerFailed naming it and its signal,
        instead of waiting forever for siblings that may be stuck on a lock it held.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = {p.sentinel: p for p in procs}
        while pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(list(pending), left)
            if not ready:
                raise TimeoutError(f"{len(pending)} process(es) still running after {timeout} s")
            for sentinel in ready:
                p = pending.pop(sentinel)  # type: ignore[arg-type]
                p.join()
                self.report_exit(p)
                if p.exitcode != 0:
                    raise WorkerFailed(describe_exit(p.name, p.pid, p.exitcode))
        return [int(p.exitcode or 0) for p in procs]

    def report_exit(self, p: BaseProcess) -> None:
        self.rep.emit_for(p.pid or 0, p.name, "process.exit", exitcode=p.exitcode)

    def sleep_ms(self, ms: float) -> None:
        if ms > 0:
            time.sleep(ms / 1000)


def _terminate_gracefully(signum: int, frame: object) -> None:
    # Turn SIGTERM into SystemExit so finalizers run (semaphores are unlinked, queues flushed).
    raise SystemExit(128 + signum)


def install_child_handlers() -> None:
    signal.signal(signal.SIGTERM, _terminate_gracefully)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the server, which cancels runs
    # A run that hits its time limit is asked for every thread's stack before it is killed (on stderr,
    # the server's): a hang then says where it hung.
    faulthandler.register(STACKS_SIGNAL, all_threads=True, chain=False)


# Interrupts a pool worker's main thread once SIGTERM has come (see install_pool_worker_handlers).
LEAVE_SIGNAL = signal.SIGUSR1


def install_pool_worker_handlers() -> None:
    """install_child_handlers for a worker of a multiprocessing Pool or a ProcessPoolExecutor: call it
    first thing in the pool's initializer, before the worker starts any thread.

    Both pools stop their workers with SIGTERM and then join them with no timeout, so SIGTERM must
    end the worker whatever its main thread is blocked in. A Python handler alone does not ensure it:
    it runs only once the main thread is back in the interpreter, and a lock wait is only cut short by
    a signal that lands while it sleeps in the kernel. One that lands just as the wait is woken up (a
    release, then the lock taken again by another process before this one ran) is handled in C and
    forgotten, and sem_wait sleeps again, for ever if nobody releases the lock: Pool.terminate() takes
    its task queue's read lock, which idle workers wait for, and keeps it (Pool._help_stuff_finish).
    So SIGTERM is blocked in every thread and taken by a thread of its own, which cannot miss it; that
    thread interrupts the main thread until the main thread has raised SystemExit, and the worker
    leaves through its finalizers as before (its events flushed)."""
    install_child_handlers()
    raised = [False]  # a plain flag: no lock is taken in a signal handler

    def leave(signum: int, frame: object) -> None:
        if not raised[0]:  # once: a second interruption must not cut the way out short
            raised[0] = True
            raise SystemExit(128 + signal.SIGTERM)

    def take_sigterm(main: int) -> None:
        signal.sigwait({signal.SIGTERM})
        while not raised[0]:  # again and again: one may land in that same window
            signal.pthread_kill(main, LEAVE_SIGNAL)
            time.sleep(0.01)

    signal.signal(LEAVE_SIGNAL, leave)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # every thread started later inherits it
    taker = threading.Thread(target=take_sigterm, args=(threading.get_ident(),), name="sigterm", daemon=True)
    taker.start()


def child_main(
    rep: Reporter,
    target: Callable[..., Any],
    args: tuple[Any, ...],
    flags: Any = None,
    index: int = 0,
    seed: int | None = None,
) -> None:
    """Entry point of every process a scenario starts through `RunContext.Process`."""
    install_child_handlers()
    if seed is not None:
        random.seed(f"{seed}:{index}")  # its own stream, the same on every run with this seed
    rep.reset_stats()
    rep.emit("process.start", ppid=os.getppid())
    try:
        target(rep, *args)
        rep.emit_stats()
        if flags is not None:
            flags[index] = 1  # finished: its exit is no death the watch must report
    except Exception as exc:
        rep.emit_final(
            "process.error", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
        )
        raise


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
    exit (which joins our feeder) would hang the run until its time limit. The error is safe anyway:
    it is in the queue's last words, which the server reads in shared memory."""
    rep.queue.close()
    flusher = threading.Thread(target=rep.queue.join_thread, daemon=True)
    flusher.start()
    flusher.join(timeout)
    if flusher.is_alive():
        os._exit(code)
    sys.exit(code)


def run_main(
    scenario: Scenario,
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
        mp.set_forkserver_preload(["app.runtime", "app.scenarios"])  # the run's own forkserver
    watch = ChildWatch(mp)
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
        if watch.dead is not None and watch.dead.pid is not None:
            rep.emit_for(watch.dead.pid, watch.dead.name, "process.exit", exitcode=watch.dead.exitcode)
        rep.queue.write_last_words(error, tb)
        rep.emit_final("run.error", error=error, traceback=tb)
        for child in multiprocessing.active_children():
            child.kill()
        watch.stop()
        exit_flushing(rep, 1)
    finally:
        watch.stop()
    rep.emit_final("run.result", result=result)
