"""Blank secrets in this process's own command line (Linux), once the arguments are parsed.

Why: /proc/PID/cmdline is readable by every process of the machine, whatever PR_SET_DUMPABLE says, so
`mpscope serve --token T` would show T to `ps` and to any code run, which could then start runs of its
own as the presenter. The kernel reads the command line from the process's memory (arg_start..arg_end
in /proc/self/stat), so overwriting it there hides it; sys.argv, a copy, is blanked as well.
Elsewhere (macOS) nothing is changed: pass the token in MPSCOPE_TOKEN there.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

ARG_START, ARG_END = 48, 49  # fields of /proc/PID/stat, numbered from 1 as proc(5) does


def blank(secrets: Iterable[str | None]) -> int:
    """Overwrite every argument that is a secret, or ends in "=secret", with '*'. Returns how many."""
    plain = [s for s in secrets if s]
    # sys.argv too: Python 3.14+'s forkserver is started with the server's sys.argv on its own
    # command line (sys_argv=...), where it was seen, token and all, under Python 3.15.
    for i, given in enumerate(sys.argv):
        for text in plain:
            if given == text or given.endswith("=" + text):
                sys.argv[i] = given[: len(given) - len(text)] + "*" * len(text)
    wanted = [s.encode() for s in plain]
    if not wanted or not sys.platform.startswith("linux"):
        return 0
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rfind(b")") + 2 :].split()  # after "pid (comm) ": fields[0] is field 3
        start, end = int(fields[ARG_START - 3]), int(fields[ARG_END - 3])
        with open("/proc/self/mem", "r+b", buffering=0) as mem:
            mem.seek(start)
            old = mem.read(end - start)
            args = old.split(b"\0")
            hidden = 0
            for i, arg in enumerate(args):
                for secret in wanted:
                    if arg == secret or arg.endswith(b"=" + secret):
                        args[i] = arg[: len(arg) - len(secret)] + b"*" * len(secret)
                        hidden += 1
                        break
            new = b"\0".join(args)
            if new != old:
                mem.seek(start)
                mem.write(new)
            return hidden
    except (OSError, ValueError, IndexError):
        return 0
