"""A root server that can make no pids cgroup takes no code runs, and says why: RLIMIT_NPROC does not
bind root, so nothing would bound a fork bomb. The page is told (GET /api/code enabled false, with the
reason), a start is refused with it (403), and no stray directory is left where a cgroup was tried.

A real server in that state: it runs in a mount namespace of its own in which the pids hierarchy is
read-only. /sys/fs/cgroup itself (cgroup v1's tmpfs) stays writable there, which is the trap: a
directory made in it has no pids.max and limits nothing."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import LiveServer, start_server, stop_server

UNSHARE = shutil.which("unshare")
PIDS = "/sys/fs/cgroup/pids"
READ_ONLY_PIDS = f'mount -o remount,bind,ro {PIDS} && exec "$@"'
PREFIX = (UNSHARE or "unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_PIDS, "sh")


def _can_seal() -> bool:
    if UNSHARE is None or os.getuid() != 0 or not os.path.ismount(PIDS):
        return False
    return subprocess.run([*PREFIX, "true"], capture_output=True, timeout=30).returncode == 0


pytestmark = pytest.mark.skipif(not _can_seal(), reason="needs root, unshare and cgroup v1's pids hierarchy")


@pytest.fixture(scope="module")
def unbounded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("unbounded"), "--no-history", prefix=PREFIX)
    yield server
    stop_server(server)


def strays() -> list[str]:
    return glob.glob("/sys/fs/cgroup/mpscope-*") + glob.glob(f"{PIDS}/mpscope-*")


def test_a_root_server_without_a_pids_cgroup_takes_no_code_runs_and_says_why(
    unbounded_server: LiveServer,
) -> None:
    before = strays()
    info = httpx.get(f"{unbounded_server.url}/api/code", timeout=30).json()
    assert info["enabled"] is False
    why = info["why_disabled"]
    assert why.startswith("code runs are off: this server runs as root and can make no pids cgroup")
    assert "RLIMIT_NPROC does not bind root" in why
    answer = httpx.post(f"{unbounded_server.url}/api/runs", json={"source": "print('hi')\n"}, timeout=30)
    assert answer.status_code == 403 and answer.json()["detail"] == why
    assert httpx.get(f"{unbounded_server.url}/api/runs", timeout=10).json() == []
    assert strays() == before  # nothing made on the tmpfs above the hierarchies
    scenario = {"scenario": "race", "params": {"workers": 1, "increments": 1}}  # lessons still run
    assert httpx.post(f"{unbounded_server.url}/api/runs", json=scenario, timeout=30).status_code == 201
