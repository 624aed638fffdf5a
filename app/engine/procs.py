"""Process-group housekeeping: find, signal and reap every process of a run.

Each run's main process leads its own process group, and everything it starts inherits the group,
whatever the start method: under forkserver its workers are forked from a nested forkserver that the
main process itself started. Signalling the group therefore reaches the whole tree.
"""

from __future__ import annotations

import os
import signal
import time

from app.lesson.signals import STACKS_SIGNAL


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) pids whose process group is `pgid`, read from /proc."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the command name (which may contain spaces) start after the last ')'.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] != b"Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def dump_stacks(pgid: int, each: float = 0.1, budget: float = 2.0) -> None:
    """Ask every process of a hung run where it is: each writes its threads' stacks to stderr, one
    after the other so that they do not interleave (at most `budget` seconds in all)."""
    deadline = time.monotonic() + budget
    # Only processes that catch the signal (a stdlib forkserver does not, and would die of it), the
    # newest first and the group's leader last: its children must not see a sibling die meanwhile.
    for pid in sorted(group_members(pgid), key=lambda pid: (pid == pgid, -pid)):
        if time.monotonic() > deadline:
            break
        if not _catches(pid, STACKS_SIGNAL):
            continue
        try:
            os.kill(pid, STACKS_SIGNAL)
        except (ProcessLookupError, PermissionError):
            continue
        time.sleep(each)


def _catches(pid: int, sig: int) -> bool:
    """Whether the process has a handler for `sig` (the SigCgt mask in /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except (OSError, ValueError):
        pass
    return False


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
