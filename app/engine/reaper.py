"""The reaper: a small process that kills every run's processes if the server dies, even by SIGKILL.

A run's processes are not the server's children: the run's main process comes from the stdlib's
forkserver and its workers from a nested forkserver, so PR_SET_PDEATHSIG on them would not fire when
the server dies. The reaper is the server's own child; it learns each run's main pid (which is also the
run's process-group id) over a pipe, and when the pipe closes without a goodbye (or PR_SET_PDEATHSIG
tells it the server has gone, on Linux) it SIGKILLs every registered group. With the run processes gone, the
stdlib's forkserver and resource tracker see their pipes close and exit by themselves.

`mpscope trace` forks its reaper instead (`start(fork=True)`, before it has any thread): a new
interpreter and its imports cost every trace ~20 ms of CPU, as much as a short program's own work,
and a forked copy of the tracer has everything the reaper needs already loaded.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import BinaryIO

from app import accel


class Reaper:
    """Server side: starts the reaper process and tells it which runs exist."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | _Forked | None = None
        self._lock = threading.Lock()

    def start(self, fork: bool = False) -> None:
        """`fork`: a forked copy of this process, if it has no other thread yet (a fork of a threaded
        process is unsafe, and warned about from 3.12); else, and by default, a new interpreter."""
        if fork and hasattr(os, "fork") and threading.active_count() == 1:
            self._proc = _Forked(os.getpid())
            return
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


class _Forked:
    """A forked reaper, seen from the server as the Popen of an exec'd one: pid, stdin, wait, kill."""

    def __init__(self, server_pid: int) -> None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the reaper: never back into the caller's code, nor its atexit or buffers
            code = 1
            try:
                os.close(w)
                with open(r, "rb") as pipe:
                    code = main(server_pid, pipe)
            finally:
                os._exit(code)
        os.close(r)
        self.pid = pid
        self.stdin = open(w, "wb")  # noqa: SIM115 - the reaper's pipe, closed by Reaper.stop
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        """As Popen.wait: polled, from 0.5 ms up to 50 ms apart; subprocess.TimeoutExpired after `timeout`."""
        deadline, delay = time.monotonic() + (timeout if timeout is not None else float("inf")), 0.0005
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(["reaper"], timeout or 0.0)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)


def kill_runs(pids: set[int]) -> None:
    for pid in pids:
        for kill in (os.killpg, os.kill):  # the group; and the pid itself, in case it had not set its group
            with contextlib.suppress(OSError):
                kill(pid, signal.SIGKILL)


def main(server_pid: int, pipe: BinaryIO | None = None) -> int:
    """The reaper process: read +PID / -PID lines (from stdin unless `pipe` is given) until a goodbye
    (return) or the server's death (kill). `server_pid` is the server's, as `python -m` passes it."""
    fd = sys.stdin.fileno() if pipe is None else pipe.fileno()
    pids: set[int] = set()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the server must not kill us first
    # The server's death comes as SIGTERM (Linux: the parent-death signal, at once) or as the pipe's end
    # (everywhere; a run forked from the server may hold it open, though). The signal only wakes the
    # select() below through a wakeup fd: a handler that raised out of a read could lose a line read
    # with it, such as the pid of the program the server had just started.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    accel.die_with_parent(signal.SIGTERM)
    if not _follow(fd, wake_r, pids):
        kill_runs(pids)  # no goodbye: the server is gone
    return 0


def _follow(fd: int, wake: int, pids: set[int]) -> bool:
    """Follow the lines to a goodbye (True), or to the pipe's end or the server's death (False; then
    what the pipe still holds is read first). A line cut short (no newline) is not read as a pid: it
    could name some other process."""
    pending = b""
    died = False
    while True:
        if not died and wake in select.select([fd, wake], [], [])[0]:
            died = True
            os.set_blocking(fd, False)  # read what is there, without waiting for more
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        if not chunk:
            return False
        *lines, pending = (pending + chunk).split(b"\n")
        for raw in lines:
            line = raw.strip().decode(errors="replace")
            if line == "bye":
                return True
            if line[:1] in "+-" and line[1:].isdigit():
                (pids.add if line[0] == "+" else pids.discard)(int(line[1:]))


if __name__ == "__main__":
    code = main(int(sys.argv[1]))
    os._exit(code)  # nothing to tear down, and whoever stopped us waits for this exit (a trace's end)
