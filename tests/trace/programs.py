"""What the trace tests share: running a program plain and traced, and reading its events."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import jsonio
from app.export.formats import from_ndjson
from tests.helpers import METHODS as METHODS  # every start method here (app/config.py), as in the other tests
from tests.helpers import (
    ROOT,
    HangError,
)

PROGRAMS = Path(__file__).parent.parent / "trace_programs"
LIVE_HANG_GUARD_S = 30  # 10x+ the time a traced program's events take to show up (~1-3 s)
# A hang guard: 10x+ the few seconds a program takes, traced or not. A hung program fails its test (as a
# hang) instead of the whole session.
PROGRAM_HANG_GUARD_S = 60
# Unbuffered, as on a terminal: with a pipe's block buffering, the Pool workers that `with Pool()`
# terminates lose what they printed, differently in every run. (Their prints may then interleave:
# the tutorial's outputs are compared as the set of what was printed, see below.)
PROGRAM_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
Event = dict[str, Any]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def trace_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", "trace", *args]


def run_plain_and_traced(
    program: str, args: list[str], traced_args: list[str], out: Path
) -> tuple[Outcome, Outcome, list[Event]]:
    """Both at once (they mostly sleep or wait on each other): the plain run and the traced one."""
    script = str(PROGRAMS / program)
    plain = subprocess.Popen(
        [sys.executable, script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=PROGRAM_ENV,
    )
    traced = subprocess.Popen(
        trace_cmd("--out", str(out), script, *traced_args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=PROGRAM_ENV,
    )
    outcomes = []
    for proc in (plain, traced):
        try:
            stdout, stderr = proc.communicate(timeout=PROGRAM_HANG_GUARD_S)
        except subprocess.TimeoutExpired:
            plain.kill()
            traced.kill()
            plain.communicate()
            traced.communicate()
            raise HangError(
                "hang guard", f"{program} {args} did not end within {PROGRAM_HANG_GUARD_S} s"
            ) from None
        outcomes.append(Outcome(proc.returncode, stdout.decode(), stderr.decode()))
    return outcomes[0], outcomes[1], read_events(out)


def read_events(path: Path) -> list[Event]:
    body = path.read_bytes()
    checked = from_ndjson(body, max_events=10**6)  # what `mpscope import` accepts
    events = [jsonio.loads(line) for line in body.splitlines() if line.strip()]
    assert len(checked) == len(events)
    return events


# -- what the plain program prints, made comparable ------------------------------------------------
def exact(out: str) -> str:
    return out


def tutorial_processes_output(out: str) -> tuple[list[str], str]:
    """The workers print in whatever order they are scheduled, each print() in two writes (the text, then
    the newline) that may interleave: what was printed, sorted; and the main process's line, last."""
    return sorted(re.findall(r"進程 \d (?:啟動|結束)", out)), out.splitlines()[-1]


def tutorial_pool_output(out: str) -> tuple[list[str], list[str]]:
    return sorted(re.findall(r"進程 \d 啟動", out)), re.findall(r"結果:\[[\d, ]*\]\n", out)


COUNTER_LINE = re.compile(r"進程 (\S+) 增加計數器到 (\d+)")


def counter_lines(out: str) -> tuple[list[str], list[str], list[str]]:
    """Which process got the lock first is up to the scheduler: names and values, each sorted."""
    matches = [COUNTER_LINE.fullmatch(line) for line in out.splitlines()]
    others = [line for line, m in zip(out.splitlines(), matches, strict=True) if m is None]
    return (
        sorted(m.group(1) for m in matches if m),
        sorted(m.group(2) for m in matches if m),
        others,
    )


# -- reading the events ----------------------------------------------------------------------------
def of(events: list[Event], kind: str, **data: Any) -> list[Event]:
    return [e for e in events if e["kind"] == kind and all(e["data"].get(k) == v for k, v in data.items())]


def main_pid(events: list[Event]) -> int:
    (start,) = [e for e in of(events, "process.start") if e["proc"] == "MainProcess"]
    assert start["data"]["role"] == "main"
    return int(start["pid"])


def started(events: list[Event]) -> dict[str, int]:
    """Lane name -> pid of each child process that said it started."""
    lanes: dict[str, int] = {}
    for e in of(events, "process.start"):
        if e["proc"] != "MainProcess":
            assert e["proc"] not in lanes, f"two process.start for {e['proc']}"
            lanes[e["proc"]] = e["pid"]
    assert len(set(lanes.values())) == len(lanes), "each child has a pid, and a lane, of its own"
    return lanes


def created(events: list[Event]) -> list[str]:
    return [e["data"]["process"] for e in of(events, "process.create")]


def on_lanes(events: list[Event], kind: str, **data: Any) -> Counter[str]:
    return Counter(e["proc"] for e in of(events, kind, **data))


def tracer_notes(events: list[Event]) -> str:
    """What the tracer says on stderr: nothing, unless a process killed by a signal (a Pool worker that
    terminate() caught in its last send) took events with it, which it counts and says."""
    lost = events[-1]["data"]["result"]["lost_events"]
    if not lost:
        return ""
    return (
        f"mpscope trace: {lost} events dropped ({lost} lost with processes that ended before sending "
        "them), 0 instrumentation errors\n"
    )


def check_common(events: list[Event], code: int, method: str) -> None:
    """Every run: a clean start and end, no lost event, no instrumentation error, every created process
    seen on a lane of its own, every child traced to its end."""
    assert events[0]["kind"] == "run.start" and events[0]["data"]["scenario"] == "trace"
    end = events[-1]
    assert end["kind"] == "run.end"
    # Nothing lost, but what a process killed by a signal had not sent yet (a Pool's terminate() can
    # catch a worker starting up): counted, and only for processes that were killed.
    lost = end["data"]["result"]["lost_events"]
    assert end["data"]["dropped_events"] == lost
    killed_pids = {e["pid"] for e in of(events, "process.exit") if e["data"]["exitcode"] < 0}
    # ... or a daemon thread that the interpreter's end stopped between making its last event (its
    # thread.exit) and sending it (a multiprocessing.dummy Pool's terminate() does not join its worker
    # threads): at most one per such thread, whose lane then has no thread.exit
    unended = Counter(e["pid"] for e in of(events, "thread.start")) - Counter(
        e["pid"] for e in of(events, "thread.exit")
    )
    for pid, n in end["data"]["result"].get("lost_by_pid", {}).items():
        assert int(pid) in killed_pids or n <= unended[int(pid)], (pid, n, unended)
    assert end["data"]["result"]["instrumentation_errors"] == 0
    assert end["data"]["result"]["exitcode"] == code
    assert end["data"]["status"] == ("succeeded" if code == 0 else "failed")
    pid0 = main_pid(events)
    assert [e["data"]["exitcode"] for e in of(events, "process.exit") if e["proc"] == "MainProcess"] == [code]
    lanes = started(events)
    # a Pool's `with` ends in terminate(): its workers die by SIGTERM and cannot report their own end
    killed = {e["pid"] for e in of(events, "process.exit") if e["data"]["exitcode"] < 0}
    for lane, pid in lanes.items():
        (start,) = [e for e in of(events, "process.start") if e["proc"] == lane]
        assert start["data"]["start_method"] == method, start
        stats = [e for e in of(events, "reporter.stats") if e["pid"] == pid]
        assert len(stats) == (0 if pid in killed and not stats else 1), (lane, stats)
        assert all(s["data"]["dropped"] == 0 and s["data"]["failures"] == 0 for s in stats)
    for name in created(events):  # a lane of its own (a Pool worker may be terminated before it says so)
        assert any(e["proc"] == name and e["pid"] != pid0 for e in events), f"no lane for {name}"
