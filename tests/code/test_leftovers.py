"""Nothing of a code run is left behind, even a process that left its process group and its parent: a
worker, under each start method, daemonizes a sleeper (fork, setsid, fork). Whether the program ends by
itself or is cancelled, the sleeper is killed (it stays in the run's cgroup, which the program can
neither leave nor widen), and the run's directory and cgroup are removed."""

from __future__ import annotations

import os
import re

import httpx
import psutil
import pytest

from app.config import START_METHODS
from tests.code.runs import GONE_GUARD_S, finished, start_code
from tests.helpers import LiveServer, wait_until

pytestmark = pytest.mark.slow
STARTED_GUARD_S = 30  # a hang guard: the daemon reports within a second or two

DAEMONIZE = """
import multiprocessing, os, sys, time

def daemonize():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            sys.stdout.write(f'daemon {{os.getpid()}} session {{os.getsid(0)}}\\n')  # one write (shared pipe)
            time.sleep(600)
            os._exit(0)
        os._exit(0)

if __name__ == '__main__':
    w = multiprocessing.get_context('{method}').Process(target=daemonize)
    w.start()
    w.join()
    sys.stdout.write(f'main {{os.getpid()}}\\n')
    time.sleep({sleep})
"""


def daemon_pid(server: LiveServer, run_id: str) -> int | None:
    out = httpx.get(f"{server.url}/api/runs/{run_id}/output", timeout=10).json()["stdout"]
    found = re.search(r"^daemon (\d+) session (\d+)$", out, re.M)
    main = re.search(r"^main (\d+)$", out, re.M)
    if not (found and main):
        return None
    assert found[2] != main[1]  # it is in a session of its own, not the run's
    return int(found[1])


def gone(pid: int) -> bool | None:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE or None
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("method", list(START_METHODS))
def test_a_daemon_left_by_a_finished_program_is_killed(code_server: LiveServer, method: str) -> None:
    run_id = start_code(code_server, DAEMONIZE.format(method=method, sleep=0), method)["id"]
    run, _, _ = finished(code_server, run_id)
    pid = daemon_pid(code_server, run_id)
    assert pid is not None
    assert run["status"] == "succeeded", run["error"]
    assert run["result"]["killed_leftovers"] >= 1
    wait_until(lambda: gone(pid), GONE_GUARD_S, f"the daemon {pid} to go")


@pytest.mark.parametrize("method", list(START_METHODS))
def test_cancel_kills_a_daemon_outside_the_runs_process_group(code_server: LiveServer, method: str) -> None:
    run_id = start_code(code_server, DAEMONIZE.format(method=method, sleep=600), method)["id"]
    try:
        wait_until(lambda: daemon_pid(code_server, run_id), STARTED_GUARD_S, "the daemon to report")
        pid = daemon_pid(code_server, run_id)
        assert pid is not None and psutil.pid_exists(pid)
    finally:
        cancelled = httpx.post(f"{code_server.url}/api/runs/{run_id}/cancel", timeout=10)
    assert cancelled.status_code == 200
    run, _, _ = finished(code_server, run_id)
    assert run["status"] == "cancelled" and run["result"]["killed_leftovers"] >= 2  # main and daemon
    wait_until(lambda: gone(pid), GONE_GUARD_S, f"the daemon {pid} to go")


def test_the_program_can_neither_leave_nor_widen_its_cgroup(code_server: LiveServer) -> None:
    if os.getuid() != 0:
        pytest.skip("only a root server puts code runs in a cgroup")
    escape = """
import os
group = open('/proc/self/cgroup').read()
line = next(x for x in group.splitlines() if x.split(':')[1] in ('pids', ''))
path = line.split(':', 2)[2]
root = '/sys/fs/cgroup/pids' if os.path.isdir('/sys/fs/cgroup/pids') else '/sys/fs/cgroup'
print('in', path)
for target, text in ((root + '/cgroup.procs', str(os.getpid())), (root + path + '/pids.max', 'max')):
    try:
        with open(target, 'w') as f:
            f.write(text)
    except OSError as exc:
        print('refused', exc.errno)
    else:
        print('wrote', target)
"""
    run, _, output = finished(code_server, start_code(code_server, escape)["id"])
    assert run["status"] == "succeeded", run["error"]
    lines = output["stdout"].splitlines()
    assert lines[0] == f"in /mpscope-code-{run['id']}"
    assert lines[1:] == ["refused 30", "refused 30"]  # EROFS: its cgroup file systems are read-only


def test_the_working_and_socket_directories_are_removed(code_server: LiveServer) -> None:
    where = "import os\nprint(os.getcwd())\nprint(os.environ['MPSCOPE_TRACE'].split(':', 1)[1])\n"
    run, _, output = finished(code_server, start_code(code_server, where)["id"])
    assert run["status"] == "succeeded", run["error"]
    cwd, socket = output["stdout"].splitlines()
    assert os.path.basename(cwd).startswith(f"mpscope-code-{run['id']}-")
    assert os.path.basename(os.path.dirname(socket)).startswith("mpscope-trace-")
    assert not os.path.exists(cwd) and not os.path.exists(os.path.dirname(socket))
