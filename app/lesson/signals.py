"""How every run process treats signals: SIGTERM exits through finalizers, Ctrl-C is the server's, and
STACKS_SIGNAL dumps every thread's stack (the server sends it to a run that hits its time limit)."""

from __future__ import annotations

import faulthandler
import multiprocessing.util
import signal
import threading
import time

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
    process of the run, the main one at its exit, would wait for that lock for ever."""
    install_child_handlers()
    handled = [False]  # a plain flag: no lock is taken in a signal handler

    def leave(signum: int, frame: object) -> None:
        if handled[0]:  # once: a second interruption must not cut the way out short
            return
        handled[0] = True
        if not multiprocessing.util.is_exiting():
            raise SystemExit(128 + signal.SIGTERM)

    def take_sigterm(main: int) -> None:
        signal.sigwait({signal.SIGTERM})
        while not handled[0]:  # again and again: one may land in that same window
            signal.pthread_kill(main, LEAVE_SIGNAL)
            time.sleep(0.01)

    signal.signal(LEAVE_SIGNAL, leave)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # every thread started later inherits it
    taker = threading.Thread(target=take_sigterm, args=(threading.get_ident(),), name="sigterm", daemon=True)
    taker.start()
