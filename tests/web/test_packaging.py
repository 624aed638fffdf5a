"""The wheel as a user gets it: built, installed into a fresh venv and served from outside the repository.

Catches what the source-tree tests cannot: static/ and templates/ missing from the wheel, a console
script that does not start, a package that only works when the repository is the working directory,
and a server that leaves processes behind when it is stopped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# Variables that could let the fresh venv see the source tree or this test's environment.
HIDDEN_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPSCOPE_TOKEN")
REAP_HANG_GUARD_S = 15  # 10x+ a graceful stop of the server and the run it reaps (~1 s)


TRACED = """\
import multiprocessing as mp

def work(counter, lock):
    for _ in range(10):
        with lock:
            counter.value += 1

if __name__ == "__main__":
    ctx = mp.get_context("spawn")
    counter, lock = ctx.Value("i", 0), ctx.Lock()
    procs = [ctx.Process(target=work, args=(counter, lock)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(counter.value)
"""


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}


def run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout)


def build_wheel(out: Path) -> Path:
    """`python -m build --wheel`; `pip wheel --no-deps` when an isolated build cannot be set up."""
    attempts = [
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
    ]
    failures = []
    for cmd in attempts:
        result = run(cmd, cwd=out)
        wheels = sorted(out.glob("mpscope-*.whl"))
        if result.returncode == 0 and wheels:
            return wheels[0]
        failures.append(f"$ {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    pytest.fail("could not build the wheel:\n" + "\n".join(failures))


def files_under(top: Path) -> list[str]:
    return sorted(
        p.relative_to(top).as_posix()
        for p in top.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(procs: list[psutil.Process]) -> list[str]:
    """The processes still running (zombies count as gone), shown as "pid command line"."""
    left = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:100]}")
        except psutil.Error:
            pass
    return left


class Server:
    """`<venv>/bin/mpscope serve` on a free loopback port, its output in a log file."""

    def __init__(self, mpscope: Path, cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = cwd / "server.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(mpscope), "serve", "--port", str(self.port), "--data-dir", str(cwd / "data")],
                cwd=cwd,
                env=clean_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def fail(self, why: str) -> None:
        pytest.fail(f"{why}\n--- server output ---\n{self.output()}")

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.fail(f"server exited early with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.fail(f"server did not answer /api/health within {timeout:g} s")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", timeout=10)

    def start_run(self, params: dict[str, object]) -> str:
        response = httpx.post(f"{self.url}/api/runs", json={"scenario": "race", "params": params}, timeout=10)
        if response.status_code != 201:
            self.fail(f"POST /api/runs answered {response.status_code}: {response.text}")
        return str(response.json()["id"])

    def wait_run(self, run_id: str, done: bool, timeout: float = 30) -> dict[str, object]:
        """Wait until the run has ended (done) or until its worker processes have started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.get(f"/api/runs/{run_id}").json()
            if done and run["status"] not in ("queued", "running"):
                return dict(run)
            if not done and run["status"] == "running":
                events = self.get(f"/api/runs/{run_id}/events").json()
                if sum(e["kind"] == "process.start" for e in events) >= 3:  # main and two workers
                    return dict(run)
            time.sleep(0.1)
        self.fail(f"run {run_id} did not get there within {timeout:g} s")
        raise AssertionError  # unreachable: pytest.fail raises

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


@pytest.mark.timeout(600)
def test_wheel_installs_and_serves_outside_the_repo(tmp_path: Path, server_factory: list[Server]) -> None:
    dist, elsewhere = tmp_path / "dist", tmp_path / "elsewhere"
    dist.mkdir()
    elsewhere.mkdir()

    wheel = build_wheel(dist)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "app/templates/dashboard.html" in names
    static = files_under(ROOT / "static")
    assert static, "static/ is empty"
    missing = [f"app/static/{f}" for f in static if f"app/static/{f}" not in names]
    missing += [
        f"app/templates/{f}" for f in files_under(ROOT / "templates") if f"app/templates/{f}" not in names
    ]
    assert not missing, f"missing from {wheel.name}: {missing}"
    assert not [n for n in names if n.startswith("tests/")], "tests/ must not ship in the wheel"

    venv = tmp_path / "venv"
    for cmd in (
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
    ):
        result = run(cmd, cwd=elsewhere)
        assert result.returncode == 0, f"$ {' '.join(cmd)}\n{result.stdout}\n{result.stderr}"

    # The installed package is the one imported, not the source tree.
    where = run([str(venv / "bin" / "python"), "-c", "import app; print(app.__file__)"], cwd=elsewhere)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    # `mpscope trace` from the wheel: its boot directory ships, and the program's processes load the
    # instrumentation from the venv (a spawn child is a fresh interpreter: it needs sitecustomize).
    program = elsewhere / "counter.py"
    program.write_text(TRACED)
    traced = run([str(venv / "bin" / "mpscope"), "trace", "--out", "t.ndjson", "counter.py"], cwd=elsewhere)
    assert traced.returncode == 0 and traced.stdout == "20\n", traced.stdout + traced.stderr
    kinds = [json.loads(line)["kind"] for line in (elsewhere / "t.ndjson").read_text().splitlines()]
    assert kinds.count("lock.acquired") >= 20 and kinds.count("process.start") == 3, kinds

    version = run([str(venv / "bin" / "mpscope"), "--version"], cwd=elsewhere)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"mpscope {VERSION}"

    server = Server(venv / "bin" / "mpscope", elsewhere)
    server_factory.append(server)
    server.wait_healthy()
    health = server.get("/api/health").json()
    assert health["status"] == "ok" and health["version"] == VERSION

    page = server.get("/")
    assert page.status_code == 200 and page.text.strip(), page.text
    asset = "css/app.css" if "css/app.css" in static else static[0]
    served = server.get(f"/static/{asset}")
    assert served.status_code == 200 and served.content, f"/static/{asset}: {served.status_code}"
    assert served.content == (ROOT / "static" / asset).read_bytes()

    # A run works from the installed package (its processes import app from the venv), and a run still
    # going when the server is stopped is reaped with everything else.
    finished = server.wait_run(server.start_run({"workers": 2, "increments": 50}), done=True)
    assert finished["status"] == "succeeded", finished
    server.wait_run(server.start_run({"workers": 2, "increments": 1000, "delay_ms": 20}), done=False)

    children = psutil.Process(server.process.pid).children(recursive=True)
    assert len(children) >= 3, "expected the forkserver and a run's processes under the server"
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=REAP_HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        server.fail(f"server did not exit within {REAP_HANG_GUARD_S} s of SIGTERM")
    deadline = time.monotonic() + REAP_HANG_GUARD_S
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(children)
    assert not left, f"processes left after the server stopped: {left}\n{server.output()}"
