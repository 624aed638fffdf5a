"""How every run process treats signals: SIGTERM exits through finalizers, Ctrl-C is the server's, and
STACKS_SIGNAL dumps every thread's stack (the server sends it to a run that hits its time limit)."""

from __future__ import annotations

import faulthandler
import multiprocessing.util
import signal
import threading
import time
from types import FrameType

# Every run process dumps all its threads' stacks to stderr on this signal (app/engine/procs.py sends it).
STACKS_SIGNAL = signal.SIGUSR2


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


def executor_loop(frame: FrameType | None) -> str | None:
    """Where the main thread, in `frame`, is in a ProcessPoolExecutor worker's loop: "waiting" for a
    task (in its call queue's get), in a "task" (running it or sending its outcome back: the loop catches
    BaseException there), in the "loop"'s own code (between two calls: inside its try or not, which
    frames cannot tell), or None when it is not in that loop at all."""
    inner = None
    while frame is not None:
        code = frame.f_code
        if code.co_name == "_process_worker" and code.co_filename.endswith("concurrent/futures/process.py"):
            if inner is None:
                return "loop"
            waiting = inner.f_code.co_name == "get" and inner.f_code.co_filename.endswith(
                "multiprocessing/queues.py"
            )
            return "waiting" if waiting else "task"
        inner, frame = frame, frame.f_back
    return None


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
    leaves through its finalizers as before (its events flushed).

    A worker already leaving on its own (terminate() also signals the workers that are just exiting
    on the pool's sentinel) is let finish: SystemExit in its finalizers would skip joining its queue
    feeder, which could then be killed mid-write holding the run queue's write lock, and every other
    process of the run, the main one at its exit, would wait for that lock for ever.

    A ProcessPoolExecutor worker catches BaseException around each task (it sends it back as the task's
    outcome) and goes back to wait for the next: SystemExit raised in a task does not end it. Python
    3.11's broken executor then sent it a None to leave on; 3.13's (3.12 not checked) SIGTERMs it again
    instead, at once (two SIGTERMs that close together are one signal), and joins it with no timeout.
    So a SystemExit raised in a task (or in the loop's own code, which may be inside its try) is raised
    again once the worker is back waiting for a task, where nothing catches it: one SIGTERM ends the
    worker, as it ends one without these handlers."""
    install_child_handlers()
    taken = [0]  # SIGTERMs the thread below took (plain ints and flags: no lock in a signal handler)
    answered = [0]  # how many of them the main thread has answered
    in_task = [False]  # our SystemExit was raised in an executor's task, whose loop catches it

    def leave(signum: int, frame: FrameType | None) -> None:
        if multiprocessing.util.is_exiting():  # on its way out through its finalizers: let it finish
            in_task[0] = False
            answered[0] = taken[0]
            return
        if in_task[0]:
            where = executor_loop(frame)
            if where in ("task", "loop"):  # not back in its loop's wait yet: asked again in 10 ms
                return
            in_task[0] = False
            if where == "waiting":
                raise SystemExit(128 + signal.SIGTERM)
            return  # out of the loop: the first SystemExit got through after all
        if answered[0] >= taken[0]:  # interrupted again for a SIGTERM already answered
            return
        first = answered[0] == 0
        # set before answered (see take_sigterm); "loop": maybe inside its try, and if not, the
        # SystemExit leaves the loop and the next ask finds it out of it
        in_task[0] = first and executor_loop(frame) in ("task", "loop")
        answered[0] = taken[0]
        if first:  # once: a later one must not cut the way out short
            raise SystemExit(128 + signal.SIGTERM)

    def take_sigterm(main: int) -> None:
        while True:
            signal.sigwait({signal.SIGTERM})
            taken[0] += 1
            # again and again: one may land in that same window, and a SystemExit raised in an
            # executor's task is raised again once the worker waits for its next task
            while answered[0] < taken[0] or in_task[0]:
                signal.pthread_kill(main, LEAVE_SIGNAL)
                time.sleep(0.01)

    signal.signal(LEAVE_SIGNAL, leave)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # every thread started later inherits it
    taker = threading.Thread(target=take_sigterm, args=(threading.get_ident(),), name="sigterm", daemon=True)
    taker.start()
