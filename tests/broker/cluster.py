"""A broker cluster for tests, all real: Debian's redis-server on a free loopback port, an origin
(`mpscope serve --broker`) and edges (`mpscope edge`), each a process of its own, as in production.

Like start_server, each process leads a session of its own and is stopped and waited for here; the
autouse no_orphans check (tests/conftest.py) sees any that is left.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import (
    SERVER_HANG_GUARD_S,
    HangError,
    LiveServer,
    free_port,
    in_ci,
    start_server,
    stop_server,
    wait_until,
)

REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
HEALTH_GUARD_S = 30  # 10x+ the time an edge takes to see a change of the broker or the origin (~1-3 s)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"


def redis_missing() -> None:
    why = f"redis-server is not installed at {REDIS} (apt-get install redis-server; ./scripts/test does)"
    if in_ci():
        pytest.fail(f"{why}; CI=true, so the broker tests must run, not skip", pytrace=False)
    pytest.skip(why)


def ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(tmp: Path, port: int | None = None) -> RedisServer:
    """A redis-server that keeps nothing on disk: a restart loses everything, the hardest case."""
    if not Path(REDIS).exists():
        redis_missing()
    port = port or free_port()
    log = tmp / f"redis-{port}.log"
    process = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + SERVER_HANG_GUARD_S
    while not ping(port):
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise HangError("hang guard", f"redis-server did not answer within {SERVER_HANG_GUARD_S} s")
        time.sleep(0.05)
    return RedisServer(port, process, log)


def stop_redis(server: RedisServer, sig: int = signal.SIGTERM) -> None:
    server.process.send_signal(sig)
    try:
        server.process.wait(15)  # a hang guard: it exits in well under a second
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise HangError("hang guard", "redis-server did not exit within 15 s") from None


@dataclass
class Cluster:
    redis: RedisServer
    origin: LiveServer
    edges: list[LiveServer] = field(default_factory=list)

    @property
    def edge_ws(self) -> list[str]:
        return [e.ws_url for e in self.edges]


def start_cluster(
    tmp: Path, edges: int = 2, edge_args: tuple[str, ...] = (), origin_args: tuple[str, ...] = ()
) -> Cluster:
    redis = start_redis(tmp)
    with ThreadPoolExecutor(edges + 1) as pool:
        origin = pool.submit(start_server, tmp, "--no-history", "--broker", redis.url, *origin_args)
        started = [
            pool.submit(start_server, tmp, "--broker", redis.url, *edge_args, command="edge")
            for _ in range(edges)
        ]
        cluster = Cluster(redis, origin.result(), [f.result() for f in started])
    for edge in cluster.edges:
        wait_until(lambda e=edge: health(e)["origin"] == "up", HEALTH_GUARD_S, "the edge sees the origin")
    return cluster


def add_edge(cluster: Cluster, tmp: Path) -> LiveServer:
    edge = start_server(tmp, "--broker", cluster.redis.url, command="edge")
    cluster.edges.append(edge)
    wait_until(lambda: health(edge)["broker"] == "up", HEALTH_GUARD_S, "the new edge reaches the broker")
    return edge


def stop_cluster(cluster: Cluster) -> None:
    for server in [*cluster.edges, cluster.origin]:
        if server.process.poll() is None:
            stop_server(server)
    if cluster.redis.process.poll() is None:
        stop_redis(cluster.redis)


def health(server: LiveServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}/api/health", timeout=10).json()  # type: ignore[no-any-return]


def firehose(base: str, events: int, rate: int) -> str:
    """A run of 2 processes, `events` each at `rate` per second: it lasts events / rate seconds at least."""
    answer = httpx.post(
        f"{base}/api/runs",
        json={"scenario": "firehose", "params": {"processes": 2, "events": events, "rate": rate}},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def edge_events(edge: LiveServer, run_id: str) -> int:
    answer = httpx.get(f"{edge.url}/api/runs/{run_id}/events", timeout=10)
    return len(answer.json()) if answer.status_code == 200 else 0
