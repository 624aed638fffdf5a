"""Code runs over REST: what the page is told (GET /api/code), what is refused before anything starts
(syntax, size, a mixed body), the output and the error line, the race lesson edited to use its lock,
and a code run's export and import."""

from __future__ import annotations

import httpx
import pytest

from app.config import START_METHODS
from app.engine.code_meta import MAX_SOURCE
from tests.code.runs import LIMITS, TIME_LIMIT_S, kinds, run_code
from tests.helpers import LiveServer, start_run, wait_finished


def runs(server: LiveServer) -> int:
    return len(httpx.get(f"{server.url}/api/runs", timeout=10).json())


def test_the_page_is_told_the_limits_network_and_template(code_server: LiveServer) -> None:
    info = httpx.get(f"{code_server.url}/api/code", timeout=30).json()
    assert info["enabled"] is True and info["why_disabled"] is None
    assert info["limits"] == {**LIMITS, "time_limit_s": TIME_LIMIT_S}
    assert info["network"] in ("isolated", "open")
    assert (info["network_note"] is None) == (info["network"] == "isolated")
    assert "import multiprocessing" in info["template"] and "mpscope" not in info["template"]
    compile(info["template"], "template.py", "exec")


def test_a_syntax_error_is_refused_at_its_line_before_anything_starts(code_server: LiveServer) -> None:
    before = runs(code_server)
    source = "import multiprocessing\n\nif True:\n    print('a'\nprint('b')\n"
    answer = httpx.post(f"{code_server.url}/api/runs", json={"source": source}, timeout=10)
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "source"] and problem["type"] == "syntax_error"
    assert problem["msg"].startswith("invalid syntax")
    assert problem["ctx"]["line"] == 4 and problem["ctx"]["col"] >= 1
    assert runs(code_server) == before


def test_a_source_over_64_kib_is_refused_naming_the_field_and_limit(code_server: LiveServer) -> None:
    source = "#" * MAX_SOURCE + "\n"
    answer = httpx.post(f"{code_server.url}/api/runs", json={"source": source}, timeout=10)
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", "source"] and "65,536 bytes" in problem["msg"]
    huge = httpx.post(f"{code_server.url}/api/runs", json={"source": "#" * (1 << 20)}, timeout=10)
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"scenario": "race", "source": "pass"}, "source"),
        ({"params": {}}, "scenario"),
        ({"source": "pass", "params": {"workers": 2}}, "params"),
        ({"source": "pass", "seed": 3}, "seed"),
        ({"scenario": "race", "args": ["x"]}, "args"),
        ({"source": "pass", "args": ["x" * 2000]}, "args"),
    ],
)
def test_a_mixed_or_empty_body_is_refused_naming_the_field(
    code_server: LiveServer, body: dict[str, object], field: str
) -> None:
    answer = httpx.post(f"{code_server.url}/api/runs", json=body, timeout=10)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"][0]["loc"]


def test_a_program_without_multiprocessing_shows_its_main_lane_and_output(code_server: LiveServer) -> None:
    source = "import sys\nfor i in range(3):\n    print('line', i)\nprint('oops', file=sys.stderr)\n"
    started = httpx.post(
        f"{code_server.url}/api/runs", json={"source": source, "args": ["a b", "c"]}, timeout=30
    ).json()
    assert started["scenario"] == "code" and started["origin"] == "code"
    run, events, output = run_code_from(code_server, started["id"])
    assert run["status"] == "succeeded" and run["error"] is None
    start = events[0]
    assert start["kind"] == "run.start" and start["data"]["origin"] == "code"
    assert start["data"]["source"] == source and start["data"]["source_name"] == "program.py"
    assert start["data"]["args"] == ["a b", "c"] and start["data"]["start_method"] == "forkserver"
    mains = [e for e in events if e["kind"] == "process.start"]
    assert [e["proc"] for e in mains] == ["MainProcess"]
    assert output["run"] == run["id"]
    assert output["stdout"] == "line 0\nline 1\nline 2\n" and output["stderr"] == "oops\n"
    chunks = output["chunks"]
    assert "".join(c["text"] for c in chunks if c["stream"] == "stdout") == output["stdout"]
    outs = [e for e in events if e["kind"] == "output"]
    assert [(e["seq"], e["data"]["text"]) for e in outs] == [(c["seq"], c["text"]) for c in chunks]
    assert all(e["pid"] == mains[0]["pid"] and e["proc"] == "MainProcess" for e in outs)


def run_code_from(server: LiveServer, run_id: str) -> tuple[dict[str, object], ...]:
    from tests.code.runs import finished

    return finished(server, run_id)


def test_an_exception_names_its_line_in_the_program(code_server: LiveServer) -> None:
    source = "def f(x):\n    return 1 / x\n\nprint('before')\nf(0)\n"
    run, events, output = run_code(code_server, source)
    assert run["status"] == "failed"
    assert run["error"].startswith("ZeroDivisionError: division by zero (line 2)")
    error = next(e["data"] for e in events if e["kind"] == "run.error")
    assert error["line"] == 2 and error["error"] == "ZeroDivisionError: division by zero"
    assert error["traceback"].startswith("Traceback (most recent call last):")
    assert output["stdout"] == "before\n"


def test_a_scenario_run_has_empty_output(code_server: LiveServer) -> None:
    run_id = start_run(code_server.url, "race", workers=2, increments=10)
    wait_finished(code_server, run_id)
    output = httpx.get(f"{code_server.url}/api/runs/{run_id}/output", timeout=10).json()
    assert output == {"run": run_id, "stdout": "", "stderr": "", "chunks": []}


RACE_LINE = "        counter.value += 1  # read, then write: another process may write in between\n"
LOCKED = "        with lock:\n            counter.value += 1\n"


@pytest.mark.parametrize("method", list(START_METHODS))
def test_the_race_lesson_with_its_lock_counts_every_increment(code_server: LiveServer, method: str) -> None:
    program = httpx.get(f"{code_server.url}/api/scenarios/race", timeout=10).json()["program"]
    assert RACE_LINE in program and "import mpscope" not in program and "from app" not in program
    run, events, output = run_code(code_server, program.replace(RACE_LINE, LOCKED), method)
    assert run["status"] == "succeeded", run["error"]
    assert output["stdout"] == "counter = 10000 (expected 10000)\n"  # 4 workers x 2,500
    counted = kinds(events)
    assert counted["value.read"] == 10001 and counted["value.write"] == 10000  # the print reads once more
    assert counted["process.start"] == 5 and counted["lock.acquired"] == 10000
    writes = [e["data"] for e in events if e["kind"] == "value.write"]
    assert {w["name"] for w in writes} == {"counter"} and max(w["value"] for w in writes) == 10000


def test_a_code_run_exports_and_imports_with_its_source_and_output(code_server: LiveServer) -> None:
    source = "print('kept with the run')\n"
    run, events, output = run_code(code_server, source)
    exported = httpx.get(
        f"{code_server.url}/api/runs/{run['id']}/export", params={"format": "ndjson"}, timeout=10
    )
    imported = httpx.post(
        f"{code_server.url}/api/runs/import",
        content=exported.content,
        headers={"Content-Type": "application/x-ndjson"},
        timeout=30,
    )
    assert imported.status_code == 201, imported.text
    again = imported.json()
    start = httpx.get(f"{code_server.url}/api/runs/{again['id']}/events", timeout=10).json()[0]
    assert start["data"]["origin"] == "code" and start["data"]["source"] == source
    for fmt in ("perfetto", "html"):  # the other formats take a code run too (its output as instants)
        assert (
            httpx.get(
                f"{code_server.url}/api/runs/{run['id']}/export", params={"format": fmt}, timeout=30
            ).status_code
            == 200
        )
    copy = httpx.get(f"{code_server.url}/api/runs/{again['id']}/output", timeout=10).json()
    assert copy["stdout"] == output["stdout"] == "kept with the run\n"
    assert again["status"] == run["status"] == "succeeded"


@pytest.mark.slow
def test_every_lessons_program_runs_as_a_code_run(code_server: LiveServer) -> None:
    """What "Edit and run" opens must run, unedited, inside the containment (network namespace, limits)."""
    from app.scenarios import REGISTRY, program

    started = {}
    for scenario_id in sorted(REGISTRY):
        source = program(scenario_id)
        assert source is not None
        started[scenario_id] = run_code(code_server, source)
    for scenario_id, (run, events, output) in started.items():
        assert run["status"] == "succeeded", f"{scenario_id}: {run['error']}"
        assert output["stdout"], scenario_id
        assert kinds(events)["process.start"] >= 2, scenario_id
