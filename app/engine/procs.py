"""Process-group housekeeping: find, signal and reap every process of a run.

Each run's main process leads its own process group, and everything it starts inherits the group,
whatever the start method: under forkserver its workers are forked from a nested forkserver that the
main process itself started. Signalling the group therefore reaches the whole tree. Groups are found
through psutil and os.getpgid, on Linux and macOS alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import psutil

from app.lesson.signals import STACKS_SIGNAL


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) pids whose process group is `pgid`."""
    if pgid <= 0:
        return []
    members = []
    for proc in psutil.process_iter(["status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        with contextlib.suppress(OSError):
            if os.getpgid(proc.pid) == pgid:
                members.append(proc.pid)
    return members


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def dump_stacks(pgid: int, reported: set[int], each: float = 0.1, budget: float = 2.0) -> None:
    """Ask every process of a hung run where it is: each writes its threads' stacks to stderr, one
    after the other so that they do not interleave (at most `budget` seconds in all). Only the
    processes that `reported` their start catch the signal (a stdlib forkserver or resource tracker
    does not, and would die of it); the newest first and the group's leader last: its children must
    not see a sibling die meanwhile."""
    deadline = time.monotonic() + budget
    live = [pid for pid in group_members(pgid) if pid in reported]
    for pid in sorted(live, key=lambda pid: (pid == pgid, -pid)):
        if time.monotonic() > deadline:
            break
        try:
            os.kill(pid, STACKS_SIGNAL)
        except (ProcessLookupError, PermissionError):
            continue
        # The leader is killed right after: give its dump longer (on a loaded machine a dump 0.1 s old
        # was seen cut short mid-line by the group's SIGKILL).
        time.sleep(each * 5 if pid == pgid else each)


def kill_group(pgid: int, grace: float = 1.0) -> bool:
    """SIGTERM the group (its Python processes exit through their finalizers), then SIGKILL what is
    left after `grace` seconds. Returns True once no live member remains (waits at most grace + 2 s)."""
    if not group_members(pgid):
        return True
    signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        time.sleep(0.02)
    signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        time.sleep(0.02)
    return False
