"""Where no network namespace can be had, the page is told so, and why (GET /api/code network "open" and
its network_note), and code runs still run, with the network the note says they have.

A real server that cannot make one: it runs in a user namespace of its own whose limit of network
namespaces is 0 (user.max_net_namespaces, which a user namespace's root may lower for itself only), so
every unshare(CLONE_NEWNET) under it fails with ENOSPC, as on a host that forbids them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.code.runs import finished, start_code
from tests.helpers import LiveServer, start_server, stop_server

UNSHARE = shutil.which("unshare")
NO_NETNS = 'echo 0 > /proc/sys/user/max_net_namespaces && exec "$@"'


def _can_forbid() -> bool:
    if UNSHARE is None:
        return False
    probe = [UNSHARE, "--user", "--map-root-user", "sh", "-c", f"{NO_NETNS} && exit 1", "sh", "true"]
    return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


pytestmark = pytest.mark.skipif(not _can_forbid(), reason="no user namespaces to forbid network ones in")


@pytest.fixture(scope="module")
def netless_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    assert UNSHARE is not None
    prefix = (UNSHARE, "--user", "--map-root-user", "sh", "-c", NO_NETNS, "sh")
    server = start_server(tmp_path_factory.mktemp("netless"), "--no-history", prefix=prefix)
    yield server
    stop_server(server)


def test_the_page_is_told_that_code_runs_can_reach_the_network(netless_server: LiveServer) -> None:
    info = httpx.get(f"{netless_server.url}/api/code", timeout=30).json()
    assert info["enabled"] is True
    assert info["network"] == "open"
    note = info["network_note"]
    assert note.startswith("no network namespace could be made (")
    assert "unshare(CLONE_NEWNET)" in note and "No space left on device" in note  # the OS's own reason
    assert note.endswith("code runs can reach the network")


def test_a_code_run_still_runs_and_can_reach_what_the_note_says(netless_server: LiveServer) -> None:
    reach = (
        "import socket\n"
        f"socket.create_connection(('127.0.0.1', {netless_server.port}), timeout=5).close()\n"
        "print('reached the server')\n"
    )
    run, _, output = finished(netless_server, start_code(netless_server, reach)["id"])
    assert run["status"] == "succeeded", run["error"]
    assert output["stdout"] == "reached the server\n"
