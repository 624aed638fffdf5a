"""Linux-only accelerations behind one capability check, each with a portable fallback that behaves
the same (macOS takes the fallbacks; so does Linux with MPSCOPE_PORTABLE=1, which CI runs too).

- parent-death signal (prctl PR_SET_PDEATHSIG): the reaper learns at once that the server died;
  portable: it sees the server's pipe close, a moment later.
- child subreaper (prctl PR_SET_CHILD_SUBREAPER): a traced program's orphans come back to the tracer;
  portable: the tracer also kills every pid its collector saw.
- pidfd: the tracer wakes the instant the program exits; portable: it polls every 0.02 s.

(Which processes catch the stack-dump signal is read from the event stream, on every OS: those that
reported process.start. /proc/PID/status is no longer needed for it.)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

PORTABLE = os.environ.get("MPSCOPE_PORTABLE") == "1"
LINUX = sys.platform.startswith("linux") and not PORTABLE

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not LINUX:
        return False
    with contextlib.suppress(OSError, AttributeError):
        return int(ctypes.CDLL(None, use_errno=True).prctl(option, value)) == 0
    return False


def die_with_parent(sig: int) -> bool:
    """Ask the kernel to send us `sig` when our parent dies; False where it cannot."""
    return _prctl(PR_SET_PDEATHSIG, sig)


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to us instead of init; False where they cannot be."""
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def pidfd_open(pid: int) -> int | None:
    """A file descriptor that becomes readable when `pid` exits, or None where there is none."""
    if not LINUX or not hasattr(os, "pidfd_open"):
        return None
    try:
        return os.pidfd_open(pid)
    except OSError:  # an old kernel, or the process is already gone
        return None
