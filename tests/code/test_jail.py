"""The launcher's path for a server that does not run as root (app/code/jail.py): a user namespace for
the network namespace, and RLIMIT_NPROC for the process limit. CI runs as root, so the server never
takes this path there; these tests take it on purpose, as the unprivileged user `nobody`, with the
system's Python (the jail is stdlib only; the project's own Python may sit in root's home)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess

import pytest

from app.code.sandbox import JAIL

NOBODY = 65534
PYTHON = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.path.exists(p)), None)
SETPRIV = shutil.which("setpriv")
JAIL_HANG_GUARD_S = 60  # 10x+ what these few-second programs take

pytestmark = pytest.mark.skipif(
    os.getuid() != 0 or PYTHON is None or SETPRIV is None or not os.access(JAIL, os.R_OK),
    reason="needs root (to become nobody), setpriv and a system Python",
)


def as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    assert PYTHON is not None and SETPRIV is not None
    command = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", PYTHON, "-I", "-S", JAIL]
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=JAIL_HANG_GUARD_S)
    finally:
        if _group_alive(proc.pid):  # a fork bomb's sleeping children
            os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def jailed(code: str, limits: dict[str, int]) -> subprocess.CompletedProcess[str]:
    config = {
        "argv": [PYTHON, "-c", code],
        "cwd": "/tmp",  # pytest's own directories are root's only
        "env": {"PATH": "/usr/bin:/bin"},
        "cgroup": None,
        "network": True,
        "limits": limits,
    }
    return as_nobody(json.dumps(config))


def test_an_unprivileged_jail_gets_a_network_namespace_of_its_own() -> None:
    probe = as_nobody("--probe")
    if probe.stdout.strip() != "isolated":
        pytest.skip(f"no user namespaces for unprivileged users here: {probe.stdout.strip()}")
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 22), timeout=2)\n"
        "except OSError as e:\n"
        "    print(type(e).__name__)\n"
        "print(socket.if_nameindex())\n"
    )
    done = jailed(code, {"RLIMIT_CPU": 5})
    assert done.returncode == 0, done.stderr
    first, interfaces = done.stdout.splitlines()
    assert first == "ConnectionRefusedError"  # its own loopback: nothing of the host listens there
    assert [name for _, name in ast.literal_eval(interfaces)] == ["lo"]


def test_an_unprivileged_fork_bomb_stops_at_rlimit_nproc() -> None:
    bomb = """
import os, time
started = 0
try:
    for _ in range(2000):
        if os.fork() == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # let go of the pipes: the test reads until they close
            os.dup2(devnull, 2)
            time.sleep(60)
            os._exit(0)
        started += 1
except BlockingIOError as exc:
    print('refused after', started, exc.errno)
"""
    probe = as_nobody("--probe")
    network = probe.stdout.strip() == "isolated"
    config = {
        "argv": [PYTHON, "-c", bomb],
        "cwd": "/tmp",
        "env": {"PATH": "/usr/bin:/bin"},
        "cgroup": None,
        "network": network,
        "limits": {"RLIMIT_NPROC": 30, "RLIMIT_CPU": 5},
    }
    done = as_nobody(json.dumps(config))  # its sleeping children die with its session afterwards
    assert done.returncode == 0, done.stderr
    words = done.stdout.split()
    assert words[:2] == ["refused", "after"] and int(words[2]) < 30 and words[3] == "11"  # EAGAIN
