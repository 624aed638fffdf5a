"""Where a code run's processes live: a private working directory, a scrubbed environment, a process
group of their own, a cgroup with pids.max where one can be made, and the command that contains them
(jail.py) before the program starts. Finds, signals and removes all of it afterwards.

Why a cgroup: RLIMIT_NPROC does not bind root, and CI runs as root; a pids cgroup binds everyone and
also lists every process of the run, however it left its process group. Without one (an ordinary
user), RLIMIT_NPROC is set to the user's current count of processes plus the run's allowance.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from app.config import CodeLimits
from app.engine.code_meta import SOURCE_NAME
from app.trace.tracer import BOOT

JAIL = str(Path(__file__).with_name("jail.py"))
CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")  # cgroup v1's pids hierarchy, or v2's root
PATH = "/usr/local/bin:/usr/bin:/bin"
MB = 1024 * 1024


@functools.cache
def network() -> tuple[bool, str | None]:
    """(isolated, note): whether code runs get a network namespace of their own on this machine, and if
    not, why, for the page. Found once, by trying it in a throwaway process."""
    if not sys.platform.startswith("linux"):
        return False, f"{sys.platform} has no network namespaces: code runs can reach the network"
    try:
        out = subprocess.run(
            [sys.executable, "-I", "-S", JAIL, "--probe"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        out = f"open: {exc}"
    if out == "isolated":
        return True, None
    why = out.removeprefix("open: ") or "the probe said nothing"
    return False, f"no network namespace could be made ({why}): code runs can reach the network"


NO_PROCESS_LIMIT = (
    "code runs are off: this server runs as root and can make no pids cgroup (is /sys/fs/cgroup "
    "writable?), and RLIMIT_NPROC does not bind root, so nothing would bound how many processes a "
    "program starts; run mpscope as an ordinary user, or where it can make a pids cgroup"
)


@functools.cache
def process_limit() -> str | None:
    """None where every code run gets a process limit (a pids cgroup, or RLIMIT_NPROC for an ordinary
    user); else why not, for the page. A root server checks once by making a throwaway cgroup."""
    if os.getuid() != 0:
        return None
    probe = _make_cgroup(f"mpscope-probe-{os.getpid()}", 1)
    if probe is None:
        return NO_PROCESS_LIMIT
    with contextlib.suppress(OSError):
        os.rmdir(probe)
    return None


@functools.cache
def hide_server() -> bool:
    """Make the server not dumpable (Linux): its /proc/PID/environ and memory are then readable only with
    CAP_SYS_PTRACE, which a code run never has, even one of the same user. Once, before the first run."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    return int(ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)) == 0  # PR_SET_DUMPABLE, 0


class Sandbox:
    """One code run's containment, from creation to `close`."""

    def __init__(self, run_id: str, source: str, limits: CodeLimits) -> None:
        self.limits = limits
        self.dir = tempfile.mkdtemp(prefix=f"mpscope-code-{run_id}-")
        self.program = os.path.join(self.dir, SOURCE_NAME)
        Path(self.program).write_text(source, encoding="utf-8")
        self.cgroup = _make_cgroup(f"mpscope-code-{run_id}", limits.processes)
        if self.cgroup is None and os.getuid() == 0:  # nothing would bound its processes: no run
            shutil.rmtree(self.dir, ignore_errors=True)
            raise OSError(NO_PROCESS_LIMIT.removeprefix("code runs are off: "))
        self.pgid = 0  # the program's main pid once started: it leads its session
        self.seen: set[int] = set()  # pids the trace reported, for when there is no cgroup
        self.refused = 0  # starts the cgroup refused, as counted when it was removed

    def command(self, argv: list[str], env: dict[str, str], network: bool) -> list[str]:
        """The jail's command line: it contains itself, then execs `python program.py ARGV` with `env`."""
        config = {
            "argv": [sys.executable, SOURCE_NAME, *argv],
            "cwd": self.dir,
            "env": env,
            "cgroup": self.cgroup,
            "network": network,
            "limits": self.rlimits(),
        }
        return [sys.executable, "-I", "-S", JAIL, json.dumps(config)]

    def environment(self, trace_spec: str, start_method: str) -> dict[str, str]:
        """All the program's environment: nothing of the server's (no token, no secret), a home and a
        temporary directory that are its own, and what the trace runtime needs."""
        return {
            "PATH": PATH,
            "LANG": "C.UTF-8",
            "HOME": self.dir,
            "TMPDIR": self.dir,
            "PYTHONPATH": BOOT,
            "PYTHONUNBUFFERED": "1",  # its output streams as it is written
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPSCOPE_TRACE": trace_spec,
            "MPSCOPE_START_METHOD": start_method,
            # glibc reserves 64 MB of address space per thread's malloc arena: under RLIMIT_AS a program
            # with a few threads (a Manager's server, a Pool) would run out of it without touching memory
            "MALLOC_ARENA_MAX": "2",
        }

    def rlimits(self) -> dict[str, int]:
        lim = self.limits
        limits = {
            "RLIMIT_CPU": lim.cpu_s,
            "RLIMIT_AS": lim.address_space_mb * MB,
            "RLIMIT_FSIZE": lim.file_size_mb * MB,
            "RLIMIT_NOFILE": lim.open_files,
            "RLIMIT_CORE": 0,
        }
        if os.getuid() != 0:  # counts every process and thread of this user, not only the run's
            limits["RLIMIT_NPROC"] = _user_tasks() + lim.processes
        return limits

    # -- the run's processes ------------------------------------------------------------------------
    def members(self) -> set[int]:
        """Every live process of the run: the cgroup's, or the group's and those the trace saw."""
        pids: set[int] = set()
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                pids = {int(p) for p in Path(self.cgroup, "cgroup.procs").read_text().split()}
        else:
            pids = {p for p in self.seen if _alive(p)}
            for proc in psutil.process_iter():
                with contextlib.suppress(OSError, psutil.Error):
                    if self.pgid and os.getpgid(proc.pid) == self.pgid:
                        pids.add(proc.pid)
        return {p for p in pids if _alive(p)}

    def process_limit_hits(self) -> int:
        """How many times a fork failed at the cgroup's pids.max (0 without a cgroup)."""
        if self.cgroup is None:
            return 0
        try:
            for line in Path(self.cgroup, "pids.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def signal_all(self, sig: int) -> int:
        pids = self.members()
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)
        return len(pids)

    def wait_gone(self, timeout: float) -> bool:
        """Wait at most `timeout` seconds for the run's processes to end by themselves."""
        deadline = time.monotonic() + timeout
        while self.members():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def kill_all(self, grace: float) -> int:
        """SIGTERM every process of the run, SIGKILL what is left after `grace` seconds (also a process
        that ignores SIGTERM, or a stopped one), until none is left. Returns how many there were."""
        first = self.signal_all(signal.SIGCONT)  # a paused run's processes must be able to act
        if first and grace > 0:
            self.signal_all(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while self.members() and time.monotonic() < deadline:
                time.sleep(0.02)
        deadline = time.monotonic() + 10.0
        while self.signal_all(signal.SIGKILL) and time.monotonic() < deadline:
            time.sleep(0.02)
        return first

    def close(self) -> None:
        """Remove the working directory and the cgroup (once its processes are gone)."""
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.cgroup is not None:
            self.refused = self.process_limit_hits()
            for _ in range(100):
                try:
                    os.rmdir(self.cgroup)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    self.kill_all(0)
                    time.sleep(0.05)


def _make_cgroup(name: str, processes: int) -> str | None:
    """A pids cgroup limited to `processes`, or None where none can be made (not root, no pids).
    A directory without pids.max is no pids cgroup: under cgroup v1, /sys/fs/cgroup itself is a
    tmpfs, where mkdir works and writing "pids.max" would only make a file that limits nothing."""
    if not sys.platform.startswith("linux"):
        return None
    for root in CGROUP_ROOTS:
        path = os.path.join(root, name)
        try:
            os.mkdir(path)
        except OSError:
            continue
        try:
            with open(os.path.join(path, "pids.max"), "r+") as f:  # r+: never creates it
                f.write(str(processes))
            return path
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(path)
    return None


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _user_tasks() -> int:
    uid, n = os.getuid(), 0
    for proc in psutil.process_iter(["uids", "num_threads"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if proc.info["uids"].real == uid:
                n += int(proc.info["num_threads"])
    return n
