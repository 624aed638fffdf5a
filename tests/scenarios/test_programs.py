"""Every lesson as a plain program (app/scenarios/programs/): standalone (no mpscope import), and, traced
as `mpscope trace` traces it, it shows exactly the steps its code takes (counts that follow from the
code, not from timing). "Edit and run" opens these, so a lesson's program must show its lesson."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.export.formats import from_ndjson
from app.scenarios import NEW_PROGRAM, REGISTRY, program
from tests.helpers import ROOT

pytestmark = pytest.mark.slow
TRACE_HANG_GUARD_S = 120  # 10x+ the longest program (the pool's, ~3 s)

# kind -> exact count, for each lesson's program (manager.call: only the workers' calls are counted)
EXPECTED: dict[str, dict[str, int]] = {
    "race": {"process.start": 5, "barrier.passed": 4, "value.read": 10001, "value.write": 10000},
    "processes": {"process.start": 4, "process.exit": 4, "process.join": 3},
    "pool": {"process.start": 5, "pool.task.start": 10, "pool.task.end": 10, "pool.result": 10},
    "queue": {"process.start": 5, "queue.put": 22, "queue.get": 22},
    "pipe": {"process.start": 2, "pipe.send": 11, "pipe.recv": 11},
    "manager": {"process.start": 6, "manager.call:append": 4, "manager.call:__setitem__": 4},
    "shared_memory": {"process.start": 5, "array.write": 4, "value.write": 4, "lock.acquired": 4},
    "sync": {
        "process.start": 5,
        "event.set": 1,
        "event.passed": 4,
        "semaphore.acquired": 4,
        "barrier.passed": 4,
    },
    "deadlock": {"process.start": 3, "lock.timeout": 1, "lock.acquired": 3},
    "executor": {
        "process.start": 4,
        "pool.call": 6,
        "pool.task.start": 6,
        "pool.task.end": 6,
        "pool.result": 6,
    },
    "gil": {"process.start": 3, "thread.start": 2},
    "firehose": {"process.start": 5, "queue.put": 2000, "queue.get": 2000},
}


def test_every_lesson_has_a_program_and_an_expectation() -> None:
    assert set(EXPECTED) == set(REGISTRY)
    assert program(NEW_PROGRAM) is not None
    assert program("no_such_lesson") is None and program("../race") is None


@pytest.mark.parametrize("scenario_id", sorted(EXPECTED))
def test_a_lessons_program_traced_shows_its_steps(scenario_id: str, tmp_path: Path) -> None:
    source = program(scenario_id)
    assert source is not None
    assert "mpscope" not in source and "from app" not in source and "import app" not in source
    script = tmp_path / "lesson.py"
    script.write_text(source, encoding="utf-8")
    out = tmp_path / "run.ndjson"
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--out", str(out), str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TRACE_HANG_GUARD_S,
    )
    assert done.returncode == 0, done.stderr
    events = from_ndjson(out.read_bytes(), 1_000_000)
    counted = Counter(e.kind for e in events)
    counted.update(f"manager.call:{e.data.get('method')}" for e in events if e.kind == "manager.call")
    assert {k: counted[k] for k in EXPECTED[scenario_id]} == EXPECTED[scenario_id]
    assert events[-1].data["status"] == "succeeded"
    if scenario_id == "race":  # named as the trace runtime names it: from the assignment
        assert {e.data["name"] for e in events if e.kind == "value.write"} == {"counter"}
