"""The launcher of a code run: contain this process, then exec the program in it.

Run by the server as `python -I -S jail.py CONFIG_JSON` in a new session (so the run has its own
process group) with a scrubbed environment, and exec'd away into `python program.py` once contained.
A separate small process rather than a preexec_fn: code after fork() in a threaded server can deadlock.
Stdlib only. Steps, each fatal if it fails (exit 125 with "mpscope: could not contain" on stderr):
join the run's cgroup (pids.max), enter a new network namespace (as root directly; otherwise inside a
new user namespace) with only its own loopback up; as root, make the cgroup file systems read-only in
a mount namespace of its own and drop every capability; set the resource limits, then exec.
`--probe` only tries the network namespace and prints "isolated" or "open: why".
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import resource
import socket
import struct
import sys
from typing import Any

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
PR_CAPBSET_DROP = 24
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
EXIT_UNCONTAINED = 125


def new_network() -> None:
    """A network namespace of our own: no interface but a loopback of its own, which nothing of the
    host listens on. As root directly; otherwise inside a user namespace that maps only our ids."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNET if uid == 0 else CLONE_NEWNET | CLONE_NEWUSER
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWNET): {os.strerror(err)}")
    if uid != 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH22x", b"lo", 0)
        flags_now = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags_now | IFF_UP))


def seal_cgroups() -> None:
    """As root: a mount namespace of our own in which every cgroup file system is read-only, so the
    program can neither raise its pids.max nor move itself out of its cgroup."""
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    cgroups = [p for p in points if p == "/sys/fs/cgroup" or p.startswith("/sys/fs/cgroup/")]
    # Private first, so that nothing below reaches the server's mounts. In a chroot "/" is no mount
    # point (EINVAL): then each mount changed below is made private on its own.
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        if ctypes.get_errno() != errno.EINVAL:
            _check(-1, "mount --make-rprivate /")
        for point in cgroups:
            _check(
                libc.mount(b"none", point.encode(), None, MS_PRIVATE, None), f"mount --make-private {point}"
            )
    for point in cgroups:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        _check(libc.mount(None, point.encode(), None, flags, None), f"read-only {point}")


def drop_capabilities() -> None:
    """As root: empty the capability bounding set, so the program execs with no capability at all
    (it cannot ptrace the server, read its /proc/PID/environ, or undo any of the above)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == 22:  # EINVAL: past the last capability this kernel knows
                return
            _check(-1, f"PR_CAPBSET_DROP {cap}")


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def set_limits(limits: dict[str, int]) -> None:
    """`limits`: RLIMIT_* name -> value; RLIMIT_CPU's hard limit is one second above its soft one
    (SIGXCPU first, which kills a Python process; SIGKILL if it was caught)."""
    for name, value in limits.items():
        which = getattr(resource, name)
        _, hard = resource.getrlimit(which)
        top = value + 1 if name == "RLIMIT_CPU" else value
        if hard != resource.RLIM_INFINITY:
            value, top = min(value, hard), min(top, hard)
        resource.setrlimit(which, (value, top))


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--probe"]:
        try:
            new_network()
        except Exception as exc:
            print(f"open: {exc}")
        else:
            print("isolated")
        return 0
    config: dict[str, Any] = json.loads(argv[1])
    try:
        if config.get("cgroup"):
            _write(os.path.join(config["cgroup"], "cgroup.procs"), str(os.getpid()))
        if config.get("network"):
            new_network()
        if os.getuid() == 0 and sys.platform.startswith("linux"):
            if config.get("cgroup"):
                seal_cgroups()
            drop_capabilities()
        set_limits(config["limits"])
        os.chdir(config["cwd"])
    except Exception as exc:
        print(f"mpscope: could not contain the program: {exc}", file=sys.stderr, flush=True)
        return EXIT_UNCONTAINED
    os.execve(config["argv"][0], config["argv"], config["env"])
    return EXIT_UNCONTAINED  # not reached: execve raises or never returns


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
