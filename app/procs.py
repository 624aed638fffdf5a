"""Process-group housekeeping: find, signal and reap every process of a run.

Each run's main process leads its own process group, and everything it starts inherits the group,
whatever the start method: under forkserver its workers are forked from a nested forkserver that the
main process itself started. Signalling the group therefore reaches the whole tree.
"""

from __future__ import annotations

import os
import signal
import time


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
