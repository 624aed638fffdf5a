"""`mpscope trace` (issue 7) with real programs and real processes, no mocks.

Each program in tests/trace_programs/ runs plainly and under `mpscope trace --out` under every start
method: the same stdout, stderr, exit code and files, and the events show every process and every
primitive it used, with the right counts. Then: a trace watched live over the WebSocket, a server with
a token, a deadlock stopped by Ctrl-C and a tracer killed by SIGKILL (no process survives either), and
the refusals of the ingest API.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from app import jsonio
from app.frames import decode
from tests.helpers import (
    ROOT,
    LiveServer,
    start_server,
    stop_server,
    wait_finished,
    wait_gone,
    wait_until,
)
from tests.trace.programs import (
    LIVE_HANG_GUARD_S,
    METHODS,
    PROGRAM_HANG_GUARD_S,
    PROGRAMS,
    Event,
    check_common,
    counter_lines,
    created,
    exact,
    main_pid,
    of,
    on_lanes,
    read_events,
    run_plain_and_traced,
    started,
    trace_cmd,
    tracer_notes,
    tutorial_pool_output,
    tutorial_processes_output,
)


def check_tutorial_processes(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["Process-1", "Process-2", "Process-3"]
    assert sorted(created(events)) == sorted(lanes)
    joins = of(events, "process.join")
    assert sorted((e["proc"], e["pid"], e["data"]["exitcode"]) for e in joins) == sorted(
        (name, pid, 0) for name, pid in lanes.items()
    )
    assert on_lanes(events, "process.exit", exitcode=0) == Counter([*lanes, "MainProcess"])


def check_tutorial_lock_counter(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == [f"Process-{i}" for i in range(5)]
    # the explicit `lock`: one acquire and one release in each process, the counter's own lock aside
    assert on_lanes(events, "lock.acquired", lock="lock") == Counter(list(lanes))
    assert on_lanes(events, "lock.released", lock="lock") == Counter(list(lanes))
    writes = of(events, "value.write", name="counter")
    assert sorted(e["data"]["value"] for e in writes) == [1, 2, 3, 4, 5]
    assert Counter(e["proc"] for e in writes) == Counter(list(lanes))
    assert [e["data"]["value"] for e in of(events, "value.read") if e["proc"] == "MainProcess"] == [5]


def check_pool_workers(events: list[Event], main: int, tasks: int, size: int) -> None:
    workers = created(events)
    assert len(workers) == size and all("PoolWorker" in w for w in workers)
    for kind in ("pool.task.start", "pool.task.end"):
        lanes = on_lanes(events, kind)
        assert sum(lanes.values()) == tasks, (kind, lanes)
        assert set(lanes) <= set(workers)
        assert all(e["pid"] != main for e in of(events, kind))
    assert all(e["data"]["ok"] for e in of(events, "pool.task.end"))
    assert sorted(e["data"]["task"] for e in of(events, "pool.task.start")) == sorted(
        e["data"]["task"] for e in of(events, "pool.task.end")
    )
    results = of(events, "pool.result")
    assert len(results) == tasks and all(e["proc"] == "MainProcess" and e["data"]["ok"] for e in results)
    for lane in on_lanes(events, "pool.task.start"):  # a worker that did work said it had started
        assert lane in started(events)


def check_tutorial_pool_map(events: list[Event], main: int) -> None:
    assert [e["data"]["method"] for e in of(events, "pool.call")] == ["map"]
    check_pool_workers(events, main, tasks=10, size=4)  # chunksize 1: 10 tasks


def check_pool_imap_unordered(events: list[Event], main: int) -> None:
    assert [e["data"]["method"] for e in of(events, "pool.call")] == ["imap_unordered"]
    check_pool_workers(events, main, tasks=4, size=2)  # 12 items in chunks of 3
    ends = of(events, "pool.task.end")
    assert sorted(x for e in ends for x in jsonio.loads(e["data"]["result"])) == [n**3 for n in range(12)]


def check_joinable_pipeline(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["producer", "worker-0", "worker-1"]
    workers = {"worker-0", "worker-1"}
    puts = of(events, "queue.put", queue="jobs")
    assert [e["proc"] for e in puts] == ["producer"] * 10
    assert [e["data"]["item"] for e in puts] == [*range(8), None, None]
    gets = of(events, "queue.get", queue="jobs")
    assert sorted(map(str, (e["data"]["item"] for e in gets))) == sorted(map(str, [*range(8), None, None]))
    assert {e["proc"] for e in gets} <= workers
    assert on_lanes(events, "queue.task_done", queue="jobs") == on_lanes(events, "queue.get", queue="jobs")
    assert on_lanes(events, "queue.get", queue="jobs")["worker-0"] >= 1  # each took its sentinel
    assert on_lanes(events, "queue.get", queue="jobs")["worker-1"] >= 1
    assert sum(on_lanes(events, "queue.put", queue="results").values()) == 8
    assert set(on_lanes(events, "queue.put", queue="results")) <= workers
    assert on_lanes(events, "queue.get", queue="results") == Counter({"MainProcess": 8})
    for kind in ("queue.join_wait", "queue.joined"):
        assert on_lanes(events, kind, queue="jobs") == Counter({"MainProcess": 1})


def check_array_lock(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["adder-0", "adder-1", "adder-2"]
    per_process = Counter({lane: 5 * 4 for lane in lanes})  # 5 rounds over 4 cells
    assert on_lanes(events, "lock.acquired", lock="guard") == per_process
    assert on_lanes(events, "lock.released", lock="guard") == per_process
    assert on_lanes(events, "array.write", name="cells") == per_process
    reads = on_lanes(events, "array.read", name="cells")
    assert reads == per_process + Counter({"MainProcess": 4})  # list(cells) at the end
    final = [e["data"]["value"] for e in of(events, "array.read", name="cells") if e["proc"] == "MainProcess"]
    assert final == [15] * 4
    assert events[-1]["data"]["error"] == "the program exited with code 3"


def check_manager_dict(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["SyncManager-1", "store-0", "store-1", "store-2"]
    calls = of(events, "manager.call")
    assert sorted((e["proc"], e["data"]["method"]) for e in calls) == [
        ("MainProcess", "items"),
        ("store-0", "__setitem__"),
        ("store-1", "__setitem__"),
        ("store-2", "__setitem__"),
    ]
    assert all(e["data"]["target"].startswith("dict ") for e in calls)
    assert len({e["data"]["server"] for e in calls}) == 1  # one manager server, the SyncManager-1 lane


def check_pipe_pingpong(events: list[Event], main: int) -> None:
    lanes = started(events)
    assert sorted(lanes) == ["ponger"]
    pipe = "parent_conn / child_conn"
    sent = [(e["proc"], e["data"]["end"], e["data"]["msg"]) for e in of(events, "pipe.send", pipe=pipe)]
    got = [(e["proc"], e["data"]["end"], e["data"]["msg"]) for e in of(events, "pipe.recv", pipe=pipe)]
    assert sorted(sent) == sorted(
        [("MainProcess", "parent_conn", i * 10) for i in range(5)]
        + [("ponger", "child_conn", i * 10 + 1) for i in range(5)]
    )
    assert sorted(got) == sorted(
        [("ponger", "child_conn", i * 10) for i in range(5)]
        + [("MainProcess", "parent_conn", i * 10 + 1) for i in range(5)]
    )
    parties = Counter({"MainProcess": 1, "ponger": 1})
    assert on_lanes(events, "barrier.wait", barrier="barrier") == parties
    assert on_lanes(events, "barrier.passed", barrier="barrier") == parties
    assert sorted(e["data"]["index"] for e in of(events, "barrier.passed")) == [0, 1]
    assert on_lanes(events, "event.set", event="done") == Counter({"ponger": 1})
    assert on_lanes(events, "event.wait", event="done") == Counter({"MainProcess": 1})
    assert [e["data"]["set"] for e in of(events, "event.passed", event="done")] == [True]


def check_executor_map(events: list[Event], main: int) -> None:
    workers = created(events)
    assert len(workers) == 2
    for kind in ("pool.task.start", "pool.task.end"):
        lanes = on_lanes(events, kind)
        assert sum(lanes.values()) == 7 and set(lanes) <= set(workers), (kind, lanes)
        assert set(lanes) <= set(started(events))
    shown = [e["data"]["result"] for e in of(events, "pool.task.end")]  # map's chunks are lists
    results = [jsonio.loads(r) if isinstance(r, str) else r for r in shown]
    flat = [x for r in results for x in (r if isinstance(r, list) else [r])]
    assert sorted(flat) == sorted([*(2 * n for n in range(6)), 200])
    # the caller's side: one submit per work item (map submits one per chunk) and its result coming back
    assert on_lanes(events, "pool.call", method="submit") == Counter({"MainProcess": 7})
    ends = {e["data"]["task"] for e in of(events, "pool.task.end")}
    assert {e["data"]["task"] for e in of(events, "pool.result") if e["proc"] == "MainProcess"} == ends


def check_semaphore_condition(events: list[Event], main: int) -> None:
    lanes = started(events)
    workers = [f"worker-{i}" for i in range(4)]
    assert sorted(lanes) == workers
    assert on_lanes(events, "semaphore.acquired", semaphore="slots") == Counter(workers)
    assert on_lanes(events, "semaphore.released", semaphore="slots") == Counter(workers)
    assert all(0 < e["data"]["inside"] <= 2 for e in of(events, "semaphore.acquired", semaphore="slots"))
    # each worker notifies once; the main process once, with notify_all: 5, not counted twice
    assert on_lanes(events, "condition.notify", condition="cond") == Counter([*workers, "MainProcess"])
    waits = on_lanes(events, "condition.wait", condition="cond")
    assert waits == on_lanes(events, "condition.woken", condition="cond")
    assert all(waits[w] >= 1 for w in workers)  # nobody can pass before the main process says go


@dataclass
class Program:
    script: str
    code: int
    compare: Callable[[str], Any]
    check: Callable[[list[Event], int], None]
    writes_file: bool = False


PROGRAM_LIST = [
    Program("tutorial_processes.py", 0, tutorial_processes_output, check_tutorial_processes),
    Program("tutorial_lock_counter.py", 0, counter_lines, check_tutorial_lock_counter),
    Program("tutorial_pool_map.py", 0, tutorial_pool_output, check_tutorial_pool_map),
    Program("pool_imap_unordered.py", 0, exact, check_pool_imap_unordered),
    Program("joinable_pipeline.py", 0, exact, check_joinable_pipeline),
    Program("array_lock.py", 3, exact, check_array_lock),
    Program("manager_dict.py", 0, exact, check_manager_dict, writes_file=True),
    Program("pipe_pingpong.py", 0, exact, check_pipe_pingpong),
    Program("executor_map.py", 0, exact, check_executor_map),
    Program("semaphore_condition.py", 0, exact, check_semaphore_condition),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("program", PROGRAM_LIST, ids=lambda p: p.script.removesuffix(".py"))
def test_program_runs_the_same_traced_and_its_events_show_everything(
    program: Program, method: str, tmp_path: Path
) -> None:
    plain_args, traced_args = [method], [method]
    if program.writes_file:
        plain_args.append(str(tmp_path / "plain.json"))
        traced_args.append(str(tmp_path / "traced.json"))
    plain, traced, events = run_plain_and_traced(
        program.script, plain_args, traced_args, tmp_path / "t.ndjson"
    )
    assert plain.code == program.code, plain.stderr
    assert traced.code == plain.code, traced.stderr
    assert program.compare(traced.stdout) == program.compare(plain.stdout)
    assert plain.stdout.strip(), "the program printed its result"
    assert plain.stderr == ""
    assert traced.stderr == tracer_notes(events), "no mpscope noise on stderr for a clean program"
    if program.writes_file:
        assert (tmp_path / "traced.json").read_bytes() == (tmp_path / "plain.json").read_bytes()
    check_common(events, program.code, method)
    # the stdlib's own threads (queue feeders, pool handlers, an executor's manager) get no lane
    assert not [e for e in events if "/" in e["proc"]]
    program.check(events, main_pid(events))


# -- live, into a running server -------------------------------------------------------------------
def trace_runs(server: LiveServer, token: str | None = None) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    runs: list[dict[str, Any]] = httpx.get(
        f"{server.url}/api/runs", params={"scenario": "trace"}, headers=headers
    ).json()
    return runs


def test_a_trace_into_a_server_is_watched_live_over_the_websocket(
    live_server: LiveServer, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    before = {r["id"] for r in trace_runs(live_server)}
    tracer = subprocess.Popen(
        trace_cmd("--server", live_server.url, str(PROGRAMS / "live_steps.py"), "forkserver", str(go)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:

        def new() -> list[dict[str, Any]]:
            return [r for r in trace_runs(live_server) if r["id"] not in before]

        run = wait_until(new, LIVE_HANG_GUARD_S, "the run appears")[0]
        assert run["status"] == "running" and run["scenario"] == "trace"
        assert run["params"]["script"].endswith("live_steps.py")
        seen: list[Event] = []
        with connect(f"{live_server.ws_url}/ws/runs/{run['id']}") as ws:

            def saw_both_steps() -> bool:
                seen.extend(decode(ws.recv(timeout=30)))
                return len(on_lanes(seen, "queue.put", queue="q")) == 2

            wait_until(saw_both_steps, LIVE_HANG_GUARD_S, "both workers' queue.put, live")
            # the program cannot end before `go` exists: these events came while it was running
            assert tracer.poll() is None and not go.exists()
            assert all(e["kind"] != "run.end" for e in seen)
            assert sorted(started(seen)) == ["step-0", "step-1"]
            go.touch()
            try:
                while seen[-1]["kind"] != "run.end":
                    seen.extend(decode(ws.recv(timeout=30)))
            except ConnectionClosed:
                pass
        stdout, stderr = tracer.communicate(timeout=PROGRAM_HANG_GUARD_S)
    finally:
        if tracer.poll() is None:
            tracer.kill()
            tracer.communicate()
    assert tracer.returncode == 0, stderr
    assert stdout.decode() == "got: [0, 1] go: True\n"
    assert f"mpscope trace: {live_server.url}/runs/{run['id']}" in stderr.decode()
    assert [e["seq"] for e in seen] == list(range(len(seen)))
    end = seen[-1]
    assert end["kind"] == "run.end" and end["data"]["status"] == "succeeded"
    assert end["data"]["dropped_events"] == 0
    assert end["data"]["result"]["exitcode"] == 0 and end["data"]["result"]["instrumentation_errors"] == 0
    assert on_lanes(seen, "queue.get", queue="q") == Counter({"MainProcess": 2})
    finished = wait_finished(live_server, run["id"])
    assert finished["status"] == "succeeded" and finished["event_count"] == len(seen)
    assert httpx.get(f"{live_server.url}/api/runs/{run['id']}/events").json() == seen


def test_a_server_with_a_token_refuses_a_tracer_without_it_and_the_program_does_not_run(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, "--token", "s3cret")
    try:
        marker = tmp_path / "ran"
        script = tmp_path / "prog.py"
        script.write_text(f"open({str(marker)!r}, 'w').close()\nprint('ran')\n")
        refused = subprocess.run(
            trace_cmd("--server", server.url, str(script)),
            capture_output=True,
            timeout=PROGRAM_HANG_GUARD_S,
            cwd=ROOT,
            env={k: v for k, v in os.environ.items() if k != "MPSCOPE_TOKEN"},
        )
        assert refused.returncode == 2
        assert refused.stdout == b"" and not marker.exists(), "the program must not run untraced"
        assert b"refused the trace: HTTP 401" in refused.stderr, refused.stderr
        assert trace_runs(server, "s3cret") == []

        ok = subprocess.run(
            trace_cmd("--server", server.url, "--token", "s3cret", str(script)),
            capture_output=True,
            timeout=PROGRAM_HANG_GUARD_S,
            cwd=ROOT,
        )
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout == b"ran\n" and marker.exists()
        (run,) = trace_runs(server, "s3cret")
        assert run["status"] == "succeeded"
    finally:
        stop_server(server)


# -- a deadlock: Ctrl-C, and a killed tracer -------------------------------------------------------
def start_deadlock(tmp_path: Path, method: str) -> tuple[subprocess.Popen[bytes], Path, list[Event]]:
    """The tracer in a session of its own, as in a terminal; returns once both lock waits are in the file."""
    out = tmp_path / "deadlock.ndjson"
    tracer = subprocess.Popen(
        trace_cmd("--out", str(out), str(PROGRAMS / "deadlock.py"), method),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        start_new_session=True,
    )

    def both_waiting() -> list[Event] | None:
        if not out.exists():
            return None
        events = [jsonio.loads(line) for line in out.read_bytes().splitlines() if line.endswith(b"}")]
        waits = {e["proc"]: e["data"]["lock"] for e in of(events, "lock.wait")}
        return events if waits == {"a-then-b": "lock_b", "b-then-a": "lock_a"} else None

    try:
        events = wait_until(both_waiting, LIVE_HANG_GUARD_S, "both processes' lock.wait in the file")
    except AssertionError:
        os.killpg(tracer.pid, signal.SIGKILL)
        tracer.communicate()
        raise
    return tracer, out, events


def program_processes(tracer: subprocess.Popen[bytes], events: list[Event]) -> list[psutil.Process]:
    """The program's processes as the events name them, and whatever else the tracer has under it."""
    procs = {p.pid: p for p in psutil.Process(tracer.pid).children(recursive=True)}
    for pid in {e["pid"] for e in events if e["proc"] != "mpscope"}:
        procs.setdefault(pid, psutil.Process(pid))
    assert len({e["pid"] for e in events if e["proc"] != "mpscope"}) == 3  # main and the two lockers
    return list(procs.values())


@pytest.mark.parametrize("method", METHODS)
def test_a_deadlock_shows_its_lock_waits_and_ctrl_c_stops_the_whole_tree(tmp_path: Path, method: str) -> None:
    tracer, out, events = start_deadlock(tmp_path, method)
    procs = program_processes(tracer, events)
    held = {e["proc"]: e["data"]["lock"] for e in of(events, "lock.acquired")}
    assert held == {"a-then-b": "lock_a", "b-then-a": "lock_b"}
    assert on_lanes(events, "barrier.passed") == Counter({"a-then-b": 1, "b-then-a": 1})
    os.killpg(tracer.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    try:
        tracer.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(tracer.pid, signal.SIGKILL)
        tracer.communicate()
        raise AssertionError("the tracer did not exit within 30 s of Ctrl-C") from None
    assert tracer.returncode != 0
    left = wait_gone(procs, 10)
    assert not left, f"alive after Ctrl-C: {[p.pid for p in left]}"
    final = read_events(out)  # the file is complete: it ends with run.end
    assert final[-1]["data"]["status"] == "failed"
    assert final[-1]["data"]["result"]["instrumentation_errors"] == 0


def test_a_killed_tracer_takes_every_traced_process_with_it(tmp_path: Path) -> None:
    tracer, _, events = start_deadlock(tmp_path, "forkserver")
    procs = program_processes(tracer, events)
    tracer.kill()  # SIGKILL: no handler of the tracer runs; its reaper must do the work
    tracer.communicate(timeout=PROGRAM_HANG_GUARD_S)
    left = wait_gone(procs, 10)
    assert not left, f"alive after the tracer was killed: {[p.pid for p in left]}"


# -- the ingest API's refusals ---------------------------------------------------------------------
def open_trace(server: LiveServer) -> str:
    response = httpx.post(f"{server.url}/api/traces", json={"script": "prog.py", "argv": ["x"]})
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["scenario"] == "trace" and run["status"] == "running"
    return str(run["id"])


def test_the_ingest_api_refuses_what_it_must(live_server: LiveServer) -> None:
    url = live_server.url
    run_id = open_trace(live_server)
    events = f"{url}/api/traces/{run_id}/events"
    good = [1000, os.getpid(), "MainProcess", "log", {"msg": "hi"}]

    response = httpx.post(events, json=[good, good, [1, 2, "p", "log", "not an object"]])
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", 2] and "data must be an object" in problem["msg"]
    response = httpx.post(events, json=[good, [1, 2, "p", "log"]])
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", 1]
    response = httpx.post(events, json=[[1, 2, "p", "run.end", {"status": "succeeded"}]])
    assert response.status_code == 422
    assert "run.* events are the server's own" in response.json()["detail"][0]["msg"]

    response = httpx.post(events, json=[good])
    assert response.status_code == 200 and response.json() == {"accepted": 1}
    assert httpx.post(f"{url}/api/traces/nosuchrun/events", json=[good]).status_code == 404
    assert httpx.post(f"{url}/api/traces/nosuchrun/end", json={"exitcode": 0}).status_code == 404

    cancel = httpx.post(f"{url}/api/runs/{run_id}/cancel")
    assert cancel.status_code == 409 and "Ctrl-C" in cancel.json()["detail"]

    huge = b"[" + b",".join([jsonio.dumps([1, 2, "p", "log", {"msg": "x" * 1000}])] * 9000) + b"]"
    assert len(huge) > 8 * 1024 * 1024
    response = httpx.post(events, content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413

    end = httpx.post(f"{url}/api/traces/{run_id}/end", json={"exitcode": 3, "result": {}, "dropped": 0})
    assert end.status_code == 200 and end.json()["status"] == "failed"
    assert httpx.post(events, json=[good]).status_code == 409
    assert httpx.post(f"{url}/api/traces/{run_id}/end", json={"exitcode": 0}).status_code == 409
    stored = httpx.get(f"{url}/api/runs/{run_id}/events").json()
    assert [e["kind"] for e in stored] == ["run.start", "log", "run.result", "run.end"]
    assert stored[-1]["data"]["error"] == "the program exited with code 3"
