"""The reaper: a small process that kills every run's processes if the server dies, even by SIGKILL.

A run's processes are not the server's children: the run's main process comes from the stdlib's
forkserver and its workers from a nested forkserver, so PR_SET_PDEATHSIG on them would not fire when
the server dies. The reaper is the server's own child; it learns each run's main pid (which is also the
run's process-group id) over a pipe, and when the pipe closes without a goodbye (or PR_SET_PDEATHSIG
tells it the server has gone, on Linux) it SIGKILLs every registered group. With the run processes gone, the
stdlib's forkserver and resource tracker see their pipes close and exit by themselves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading

from app import accel


class Reaper:
    """Server side: starts the reaper process and tells it which runs exist."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "app.engine.reaper", str(os.getpid())],
            stdin=subprocess.PIPE,
            close_fds=True,
        )

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def watch(self, pid: int) -> None:
        self._send(f"+{pid}\n")

    def forget(self, pid: int) -> None:
        self._send(f"-{pid}\n")

    def stop(self) -> None:
        """A clean shutdown: the runs are already reaped, so the reaper leaves without killing."""
        if self._proc is None:
            return
        self._send("bye\n")
        with contextlib.suppress(OSError):
            self._proc.stdin.close()  # type: ignore[union-attr]
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def _send(self, line: str) -> None:
        if self._proc is None or self._proc.stdin is None:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._proc.stdin.write(line.encode())
            self._proc.stdin.flush()


def kill_runs(pids: set[int]) -> None:
    for pid in pids:
        for kill in (os.killpg, os.kill):  # the group; and the pid itself, in case it had not set its group
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)


def main(server_pid: int) -> int:
    """The reaper process: read +PID / -PID lines until a goodbye (return) or the server's death (kill)."""
    pids: set[int] = set()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the server must not kill us first

    def server_died(signum: int, frame: object) -> None:
        kill_runs(pids)
        os._exit(0)

    signal.signal(signal.SIGTERM, server_died)
    accel.die_with_parent(signal.SIGTERM)  # Linux: told at once; elsewhere, the pipe below closes
    if os.getppid() != server_pid:  # the server died before we could tell
        return 0
    for raw in sys.stdin.buffer:
        line = raw.strip().decode()
        if line == "bye":
            return 0
        if line[:1] in "+-" and line[1:].isdigit():
            (pids.add if line[0] == "+" else pids.discard)(int(line[1:]))
    kill_runs(pids)  # the pipe closed without a goodbye: the server is gone
    return 0


if __name__ == "__main__":
    code = main(int(sys.argv[1]))
    os._exit(code)  # nothing to tear down, and whoever stopped us waits for this exit (a trace's end)
