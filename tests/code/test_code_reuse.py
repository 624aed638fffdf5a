"""A code run is used again like any run, over REST, as the page does it: "Run again" posts the source,
start method and args its run.start recorded; replay reads its events (whole, or after a seq); compare
loads two runs' events, whose run.start carry the two sources to diff; export gives every format."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.config import START_METHODS
from tests.code.runs import finished, kinds, start_code
from tests.helpers import LiveServer

PROGRAM = """
import multiprocessing, sys

def square(n, out):
    out.put(n * n)

if __name__ == '__main__':
    out = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=square, args=(n, out)) for n in range(3)]
    for w in workers:
        w.start()
    total = sum(out.get() for _ in workers)
    for w in workers:
        w.join()
    print('args', sys.argv[1:], 'total', total)
"""


def events_of(server: LiveServer, run_id: str, **params: Any) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/runs/{run_id}/events", params=params, timeout=10)
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()
    return found


def run_start(server: LiveServer, run_id: str) -> dict[str, Any]:
    first = events_of(server, run_id)[0]
    assert first["kind"] == "run.start"
    data: dict[str, Any] = first["data"]
    return data


@pytest.mark.parametrize("method", list(START_METHODS))
def test_run_again_repeats_the_source_start_method_and_args(code_server: LiveServer, method: str) -> None:
    run = start_code(code_server, PROGRAM, method, args=["--n", "3"])
    first, events, output = finished(code_server, run["id"])
    assert first["status"] == "succeeded", first["error"]
    start = run_start(code_server, first["id"])
    assert (start["origin"], start["source"], start["start_method"], start["args"]) == (
        "code",
        PROGRAM,
        method,
        ["--n", "3"],
    )
    # what the run header's "Run again" posts: run.start's source, start_method and args
    again = start_code(code_server, start["source"], start["start_method"], args=start["args"])
    second, events2, output2 = finished(code_server, again["id"])
    assert second["id"] != first["id"] and second["status"] == "succeeded", second["error"]
    start2 = run_start(code_server, second["id"])
    assert {k: start2[k] for k in ("source", "start_method", "args")} == {
        k: start[k] for k in ("source", "start_method", "args")
    }
    assert output["stdout"] == output2["stdout"] == "args ['--n', '3'] total 5\n"
    assert kinds(events)["process.start"] == kinds(events2)["process.start"] == 4


def test_replay_reads_the_whole_run_or_what_came_after_a_seq(code_server: LiveServer) -> None:
    run, events, output = finished(code_server, start_code(code_server, PROGRAM)["id"])
    assert [e["seq"] for e in events] == list(range(len(events)))  # nothing missing, in order
    assert events[0]["kind"] == "run.start" and events[-1]["kind"] == "run.end"
    middle = len(events) // 2
    assert events_of(code_server, run["id"], after=middle) == events[middle + 1 :]
    ndjson = httpx.get(
        f"{code_server.url}/api/runs/{run['id']}/events",
        headers={"Accept": "application/x-ndjson"},
        timeout=10,
    ).text
    assert [json.loads(line) for line in ndjson.splitlines()] == events
    # the console replays from the events alone: their output is the run's output, chunk by chunk
    chunks = [e for e in events if e["kind"] == "output"]
    assert "".join(e["data"]["text"] for e in chunks if e["data"]["stream"] == "stdout") == output["stdout"]
    assert [c["seq"] for c in output["chunks"]] == [e["seq"] for e in chunks]


def test_compare_loads_two_code_runs_with_their_two_sources(code_server: LiveServer) -> None:
    unlocked = PROGRAM
    locked = PROGRAM.replace("    out.put(n * n)", "    with multiprocessing.Lock():\n        out.put(n * n)")
    a, _, _ = finished(code_server, start_code(code_server, unlocked)["id"])
    b, _, _ = finished(code_server, start_code(code_server, locked)["id"])
    assert a["status"] == b["status"] == "succeeded"
    page = httpx.get(f"{code_server.url}/compare", params={"a": a["id"], "b": b["id"]}, timeout=10)
    assert page.status_code == 200 and a["id"] in page.text and b["id"] in page.text
    sources = [run_start(code_server, r["id"])["source"] for r in (a, b)]
    assert sources == [unlocked, locked]  # what the page diffs above the shared time axis


def test_every_export_format_carries_the_code_run(code_server: LiveServer) -> None:
    run, events, output = finished(code_server, start_code(code_server, PROGRAM)["id"])

    def export(fmt: str) -> httpx.Response:
        answer = httpx.get(
            f"{code_server.url}/api/runs/{run['id']}/export", params={"format": fmt}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert f'filename="mpscope-{run["id"]}.' in answer.headers["content-disposition"]
        return answer

    lines = export("ndjson").text.splitlines()
    assert [json.loads(line) for line in lines] == events
    trace = export("perfetto").json()
    pids = {e["pid"] for e in events if e["kind"] == "process.start"}
    assert len(pids) == 4 and pids <= {e.get("pid") for e in trace["traceEvents"]}
    html = export("html").text
    assert html.lstrip().lower().startswith("<!doctype html") and run["id"] in html
