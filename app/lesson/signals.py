"""How every run process treats signals: SIGTERM exits through finalizers, Ctrl-C is the server's, and
STACKS_SIGNAL dumps every thread's stack (the server sends it to a run that hits its time limit)."""

from __future__ import annotations

import faulthandler
import signal

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
