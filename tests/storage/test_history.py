"""Run history on disk: batching, reopening, interrupted runs, retention, and runs that survive a restart."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from app import jsonio
from app.cli import main as cli
from app.config import Limits, Settings
from app.engine.engine import Engine
from app.engine.run import Run, RunStatus
from app.events import Event
from app.export.imports import import_events
from app.storage.history import History, HistoryBusy, StoredEvents, read_run
from app.web.hub import Hub
from tests.helpers import read_all, start_server, stop_server, wait_finished, wait_until


def encoded(run_id: str, first: int, count: int) -> list[bytes]:
    return [jsonio.dumps({"run": run_id, "seq": n}) for n in range(first, first + count)]


def summary(
    run_id: str, status: str = "succeeded", created_at: float = 1.0, events: int = 0
) -> dict[str, Any]:
    return {
        "id": run_id,
        "scenario": "race",
        "params": {},
        "start_method": "fork",
        "status": status,
        "result": None,
        "error": None,
        "created_at": created_at,
        "started_at": None,
        "ended_at": None,
        "event_count": events,
        "dropped_events": 0,
        "viewers": 0,
    }


def test_events_are_committed_in_batches_and_read_back_in_seq_order(tmp_path: Path) -> None:
    history = History(tmp_path, batch_seconds=0.3, batch_events=10_000)
    try:
        history.record_run(summary("a", "running"))
        for first in range(0, 3000, 1000):  # well within one batch window: one commit
            history.record_events("a", first, encoded("a", first, 1000))
        assert history.flush()
        assert history.batches == 1
        assert history.load_events("a") == encoded("a", 0, 3000)
        assert history.load_events("a", 2990, 2995) == encoded("a", 2990, 5)
        for first in range(3000, 33_000, 1000):  # 30,000 more: a commit every 10,000 events at least
            history.record_events("a", first, encoded("a", first, 1000))
        assert history.flush()
        assert history.batches >= 4
        stored = StoredEvents(history, "a", 33_000)
        assert len(stored) == 33_000 and stored[32_999:] == encoded("a", 32_999, 1)
        assert list(stored) == encoded("a", 0, 33_000)
    finally:
        history.close()


def test_a_reopened_history_has_every_run_and_event_and_one_server_holds_it(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.record_run(summary("a", "running"))
    history.record_events("a", 0, encoded("a", 0, 10))
    history.record_run(summary("a", "succeeded", events=10))
    history.record_run(summary("b", "failed", created_at=2.0))
    with pytest.raises(HistoryBusy):
        History(tmp_path)
    history.close()
    history = History(tmp_path)
    try:
        assert history.interrupted == []
        assert [s["id"] for s in history.load_runs()] == ["a", "b"]
        assert history.load_runs()[0] == summary("a", "succeeded", events=10)
        assert history.load_events("a") == encoded("a", 0, 10)
        assert read_run(tmp_path, "a") == (summary("a", "succeeded", events=10), encoded("a", 0, 10))
        assert read_run(tmp_path, "zz") is None
    finally:
        history.close()


def test_runs_in_flight_when_the_server_stopped_come_back_interrupted(tmp_path: Path) -> None:
    history = History(tmp_path)
    history.record_run(summary("a", "running"))
    history.record_events("a", 0, encoded("a", 0, 7))
    history.record_run(summary("q", "queued", created_at=2.0))
    history.close()  # no final summary: as if the server had died after this batch
    history = History(tmp_path)
    try:
        assert sorted(history.interrupted) == ["a", "q"]
        runs = {s["id"]: s for s in history.load_runs()}
        assert runs["a"]["status"] == runs["q"]["status"] == "interrupted"
        assert runs["a"]["event_count"] == 7 and "in flight" in runs["a"]["error"]
        run = Run.from_dict(runs["a"], StoredEvents(history, "a", 7))
        assert run.status == RunStatus.INTERRUPTED and not run.active
    finally:
        history.close()


def finished_events(count: int) -> list[Event]:
    """A finished run's events as an import brings them: run.start, count - 2 logs, run.end."""
    start = {"scenario": "race", "title": "Race", "params": {}, "start_method": "fork"}
    logs = [Event("00000000", n, n, 1, "main", "log", {"n": n}) for n in range(1, count - 1)]
    end = Event("00000000", count - 1, count, 1, "mpscope", "run.end", {"status": "succeeded"})
    return [Event("00000000", 0, 0, 1, "mpscope", "run.start", start), *logs, end]


def test_retention_keeps_the_newest_runs_and_an_event_budget_in_memory_and_on_disk(tmp_path: Path) -> None:
    limits = Limits(max_kept_runs=3, max_stored_events=25)
    ids: list[str] = []

    async def fill() -> Engine:
        history = History(tmp_path)
        m = Engine(Settings(limits=limits), Hub(0.016, 8 << 20), history=history)
        for _ in range(4):  # 4 runs over a limit of 3: the oldest goes
            ids.append(import_events(m.book, finished_events(5)).id)
        assert sorted(m.book.runs) == sorted(ids[1:])
        big = import_events(m.book, finished_events(12))  # 5 + 5 + 12 = 22 events, under the budget of 25
        ids.append(big.id)
        assert sorted(m.book.runs) == sorted([big.id, *ids[2:4]]) and m.book.forgotten_runs == 2
        history.flush()
        await asyncio.sleep(0.05)  # the release callbacks: finished runs' events now come from disk
        assert isinstance(m.book.runs[big.id].events, StoredEvents)
        tail = [jsonio.loads(e) for e in m.book.events_after(big.id, 9)]
        assert [(e["run"], e["seq"], e["kind"]) for e in tail] == [
            (big.id, 10, "log"),
            (big.id, 11, "run.end"),
        ]
        history.close()
        return m

    asyncio.run(fill())
    history = History(tmp_path)
    try:
        assert [s["id"] for s in history.load_runs()] == ids[2:]
        assert history.load_events(ids[0]) == [] and len(history.load_events(ids[3])) == 5
        smaller = Limits(max_kept_runs=3, max_stored_events=20)  # a new budget applies at startup
        m = Engine(Settings(limits=smaller), Hub(0.016, 8 << 20), history=history)
        assert sorted(m.book.runs) == sorted(ids[3:]) and m.book.forgotten_runs == 1
        assert m.book.get(ids[4]).to_dict()["event_count"] == 12
        assert history.flush()
        assert [s["id"] for s in history.load_runs()] == ids[3:]
    finally:
        history.close()


def get(url: str) -> Any:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def test_runs_and_their_events_survive_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        created = httpx.post(f"{server.url}/api/runs", json={"scenario": "race", "params": {"workers": 3}})
        run_id = created.json()["id"]
        run = wait_finished(server, run_id)
        events = get(f"{server.url}/api/runs/{run_id}/events")
        ndjson = httpx.get(f"{server.url}/api/runs/{run_id}/export?format=ndjson").content
    finally:
        stop_server(server)  # SIGTERM: a graceful shutdown (uvicorn exits with -15 after it)
    assert run["status"] == "succeeded" and len(events) == run["event_count"] > 10

    # With no server, the CLI reads a run from the data directory and stores an import into it.
    out = tmp_path / "run.ndjson"
    assert (
        cli(["export", run_id, "--format", "ndjson", "--data-dir", str(tmp_path / "data"), "-o", str(out)])
        == 0
    )
    assert out.read_bytes() == ndjson
    assert cli(["import", str(out), "--data-dir", str(tmp_path / "data")]) == 0

    server = start_server(tmp_path)
    try:
        again = get(f"{server.url}/api/runs/{run_id}")
        assert again | {"viewers": 0} == run | {"viewers": 0}
        assert get(f"{server.url}/api/runs/{run_id}/events") == events
        assert get(f"{server.url}/api/runs/{run_id}/events?after=4") == events[5:]
        assert httpx.get(f"{server.url}/runs/{run_id}").status_code == 200
        with connect(f"{server.ws_url}/ws/runs/{run_id}") as ws:
            frames, code = read_all(ws, 30)
        assert [e for frame in frames for e in frame] == events and code == 1000
        runs = get(f"{server.url}/api/runs")
        imported = [r for r in runs if r["id"] != run_id]
        assert len(runs) == 2 and imported[0]["event_count"] == len(events)
        assert imported[0]["status"] == "succeeded"
    finally:
        stop_server(server)  # SIGTERM: a graceful shutdown (uvicorn exits with -15 after it)


STARTUP_HANG_GUARD_S = 30  # 10x+ the ~1-3 s a run takes to report its first 20 events
COMMIT_HANG_GUARD_S = 10  # 10x+ the history's commit delay (a batch every 0.1 s)


def committed(data_dir: Path, run_id: str) -> int:
    stored = read_run(data_dir, run_id)
    return 0 if stored is None else len(stored[1])


def test_a_run_in_flight_when_the_server_is_killed_comes_back_interrupted(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        params = {"workers": 2, "increments": 1000, "delay_ms": 20}  # ~20 s: still running when killed
        run_id = httpx.post(f"{server.url}/api/runs", json={"scenario": "race", "params": params}).json()[
            "id"
        ]

        def going() -> list[dict[str, Any]] | None:
            evs: list[dict[str, Any]] = get(f"{server.url}/api/runs/{run_id}/events")
            return evs if len(evs) >= 20 else None

        seen = wait_until(going, STARTUP_HANG_GUARD_S, "the run gets going")
        # Kill only once everything seen so far is committed: read back from the file, as the next
        # server will read it (read-only, beside the writer), not after a guess at the batch delay.
        data = tmp_path / "data"
        wait_until(lambda: committed(data, run_id) >= len(seen), COMMIT_HANG_GUARD_S, "seen is committed")
    finally:
        stop_server(server, signal.SIGKILL)
    server = start_server(tmp_path)
    try:
        run = get(f"{server.url}/api/runs/{run_id}")
        assert run["status"] == "interrupted" and "in flight" in run["error"]
        stored = get(f"{server.url}/api/runs/{run_id}/events")
        assert len(stored) == run["event_count"] >= len(seen)
        assert stored[: len(seen)] == seen
        assert [e["seq"] for e in stored] == list(range(len(stored)))
        again = httpx.post(f"{server.url}/api/runs", json={"scenario": "race", "params": {"increments": 10}})
        assert wait_finished(server, again.json()["id"])["status"] == "succeeded"  # and it carries on
    finally:
        stop_server(server)  # SIGTERM: a graceful shutdown (uvicorn exits with -15 after it)
