"""Each containment of a code run, proved by a program that runs into it, under every start method: the
run ends with the reason in its error, and nothing of it is left (processes, directory, cgroup).

The server runs as root in CI, so these take its path there: a pids cgroup (RLIMIT_NPROC does not bind
root), a network namespace, and no capability in the program (app/code/jail.py).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import httpx
import pytest

from app.config import START_METHODS
from tests.code.runs import LIMITS, SECRET, finished, run_code, start_code
from tests.helpers import LiveServer, start_server, stop_server, wait_until

pytestmark = pytest.mark.slow
METHODS = list(START_METHODS)
STARTED_GUARD_S = 30  # a hang guard: a program prints its first line within a second or two

PROLOGUE = "import multiprocessing, os, signal, socket, sys, time\nmethod = '{method}'\n"


def program(body: str, method: str) -> str:
    """A program that first starts (and joins) one worker under `method`, so the start method is in play."""
    return (
        PROLOGUE.format(method=method)
        + "def noop():\n    pass\n\n"
        + "if __name__ == '__main__':\n"
        + "    w = multiprocessing.get_context(method).Process(target=noop); w.start(); w.join()\n"
        + "".join(f"    {line}\n" for line in body.strip().splitlines())
    )


@pytest.mark.parametrize("method", METHODS)
def test_an_infinite_loop_is_stopped_by_its_cpu_limit(code_server: LiveServer, method: str) -> None:
    run, events, _ = run_code(code_server, program("while True:\n    pass", method), method)
    assert run["status"] == "failed"
    assert run["error"] == f"stopped: the program used its {LIMITS['cpu_s']} s of CPU time (RLIMIT_CPU)"
    assert run["result"]["exitcode"] == -24  # SIGXCPU


@pytest.mark.parametrize("method", METHODS)
def test_a_fork_bomb_is_stopped_at_the_process_limit(code_server: LiveServer, method: str) -> None:
    bomb = """
ctx = multiprocessing.get_context(method)
for i in range(2000):
    ctx.Process(target=time.sleep, args=(60,)).start()
"""
    run, events, _ = run_code(code_server, program(bomb, method), method)
    assert run["status"] == "failed"
    assert run["error"].startswith(
        f"stopped: the program tried to start more than {LIMITS['processes']} processes and threads"
    ), run["error"]
    # bounded: live processes never pass the limit (one that died freed its place for another)
    assert run["result"]["processes"] < 2 * LIMITS["processes"]


@pytest.mark.parametrize("method", METHODS)
def test_a_memory_hog_runs_out_of_its_address_space(code_server: LiveServer, method: str) -> None:
    hog = "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 << 20))"
    run, events, _ = run_code(code_server, program(hog, method), method)
    assert run["status"] == "failed"
    memory = LIMITS["address_space_mb"]
    assert run["error"].startswith(
        f"stopped: the program ran out of its {memory} MB of memory per process (RLIMIT_AS)"
    ), run["error"]
    error = next(e["data"] for e in events if e["kind"] == "run.error")
    assert error["error"] == "MemoryError" and error["line"] == 10  # the append, in the program


@pytest.mark.parametrize("method", METHODS)
def test_a_10_gb_file_stops_at_the_file_size_limit(code_server: LiveServer, method: str) -> None:
    big = "with open('big.bin', 'wb') as f:\n    for _ in range(10 * 1024):\n        f.write(bytes(1 << 20))"
    run, events, _ = run_code(code_server, program(big, method), method)
    assert run["status"] == "failed"
    limit = LIMITS["file_size_mb"]
    assert run["error"].startswith(
        f"stopped: the program wrote a file past the limit of {limit} MB (RLIMIT_FSIZE)"
    ), run["error"]


@pytest.mark.parametrize("method", METHODS)
def test_open_files_stop_at_their_limit(code_server: LiveServer, method: str) -> None:
    hoard = "files = [open(os.devnull) for _ in range(10_000)]"
    run, events, _ = run_code(code_server, program(hoard, method), method)
    assert run["status"] == "failed"
    assert run["error"].startswith(
        f"stopped: the program opened more than {LIMITS['open_files']} files at once (RLIMIT_NOFILE)"
    ), run["error"]


@pytest.mark.parametrize("method", METHODS)
def test_the_servers_own_port_cannot_be_reached(code_server: LiveServer, method: str) -> None:
    network = httpx.get(f"{code_server.url}/api/code", timeout=30).json()
    if network["network"] != "isolated":
        pytest.skip(f"no network namespace here: {network['network_note']}")
    reach = f"socket.create_connection(('127.0.0.1', {code_server.port}), timeout=5)"
    run, events, _ = run_code(code_server, program(reach, method), method)
    assert run["status"] == "failed"
    assert run["error"].startswith("stopped: the program tried to use the network"), run["error"]
    error = next(e["data"] for e in events if e["kind"] == "run.error")
    assert error["error"].startswith("ConnectionRefusedError") and error["line"] == 8


@pytest.mark.parametrize("method", METHODS)
def test_the_servers_environment_is_not_inherited_nor_readable(code_server: LiveServer, method: str) -> None:
    look = f"""
print(sorted(os.environ))
print('secret in env:', {SECRET!r} in repr(dict(os.environ)))
try:
    seen = open(f'/proc/{{os.getppid()}}/environ', 'rb').read()
except OSError as exc:
    print('server environ:', type(exc).__name__)
else:
    print('server environ:', {SECRET!r}.encode() in seen)
server = os.getppid()
open(f'/proc/{{server}}/environ', 'rb').read()  # not caught: the run's error says why
"""
    run, events, output = run_code(code_server, program(look, method), method)
    assert run["status"] == "failed"
    server = code_server.process.pid
    denied = f"PermissionError: [Errno 13] Permission denied: '/proc/{server}/environ'"
    assert run["error"].startswith(f"{denied} (line 17)"), run["error"]
    error = next(e["data"] for e in events if e["kind"] == "run.error")
    assert error["error"] == denied and error["line"] == 17
    stdout = output["stdout"]
    assert "secret in env: False" in stdout
    assert "server environ: PermissionError" in stdout, stdout
    names = ast.literal_eval(stdout.splitlines()[0])  # the list the program printed
    assert "MPSCOPE_TEST_SECRET" not in names and "MPSCOPE_TOKEN" not in names
    assert set(names) <= {
        "PATH", "LANG", "HOME", "TMPDIR", "PYTHONPATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
        "MPSCOPE_TRACE", "MPSCOPE_START_METHOD", "MALLOC_ARENA_MAX",
    }  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
def test_cancel_kills_a_tree_that_ignores_sigterm(code_server: LiveServer, method: str) -> None:
    stubborn = """
def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.stdout.write(f'worker {os.getpid()}\\n')  # one write: the workers share the pipe
    time.sleep(600)
if __name__ == '__main__':
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ctx = multiprocessing.get_context(method)
    workers = [ctx.Process(target=stubborn) for _ in range(2)]
    for w in workers:
        w.start()
    print('started', flush=True)
    time.sleep(600)
"""
    source = PROLOGUE.format(method=method) + stubborn
    run_id = start_code(code_server, source, method)["id"]

    def started() -> bool | None:  # every worker reported in, and ignores SIGTERM (it said so after)
        events = httpx.get(f"{code_server.url}/api/runs/{run_id}/events", timeout=10).json()
        out = httpx.get(f"{code_server.url}/api/runs/{run_id}/output", timeout=10).json()
        starts = sum(e["kind"] == "process.start" for e in events)
        return (starts == 3 and out["stdout"].count("worker ") == 2) or None

    wait_until(started, STARTED_GUARD_S, "the program to start its workers")
    assert httpx.post(f"{code_server.url}/api/runs/{run_id}/cancel", timeout=10).status_code == 200
    run, events, _ = finished(code_server, run_id)  # finished() checks every process is gone
    assert run["status"] == "cancelled" and run["error"] is None
    assert len({e["pid"] for e in events if e["kind"] == "process.start"}) == 3
    assert run["result"]["killed_leftovers"] >= 3


SHORT_LIMIT_S = 4  # a server of its own, so that each start method's sleeper is stopped soon


@pytest.fixture(scope="module")
def short_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(
        tmp_path_factory.mktemp("short"), "--no-history", "--max-run-seconds", str(SHORT_LIMIT_S)
    )
    yield server
    stop_server(server)


@pytest.mark.parametrize("method", METHODS)
def test_the_time_limit_stops_a_sleeper_that_ignores_sigterm(short_server: LiveServer, method: str) -> None:
    # the CPU limit cannot stop a sleeper: the run's time limit does, and SIGKILL what ignores SIGTERM
    sleeper = """
def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(600)
if __name__ == '__main__':
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    multiprocessing.get_context(method).Process(target=stubborn).start()
    time.sleep(600)
"""
    run, events, _ = run_code(short_server, PROLOGUE.format(method=method) + sleeper, method)
    assert run["status"] == "failed"
    assert run["error"] == f"stopped: the program ran past the time limit of {SHORT_LIMIT_S} s per run"
    assert run["result"]["exitcode"] == -9  # SIGTERM was ignored: SIGKILL a second later
    assert run["result"]["killed_leftovers"] >= 1
