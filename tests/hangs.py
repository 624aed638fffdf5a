"""A pytest plugin (loaded by tests/conftest.py): hangs are recorded, so that a rerun cannot hide them.

scripts/test runs failed tests once more (pytest --lf) and calls one that passes then FLAKY, not a
failure. A hang is never a flake: a test that failed because of one is written to the file named by
MPSCOPE_HANGS_FILE (scripts/test sets tests/artifacts/hangs.txt), one line each, and scripts/test fails
if that file is not empty after the rerun. A hang is:

- a HangError (tests/helpers.py): a named hang guard ran out, a test left a process alive (no_orphans),
  left a run active on the live server (a leaked run slot), or a run hit its time limit (no_hangs);
- a subprocess.TimeoutExpired (a subprocess that outlived the timeout= a test gave it);
- a pytest-timeout ("Timeout (>N s) from pytest-timeout");
- a failure whose report says a run hit its time limit ("time limit of N s per run exceeded", or the
  server's "hit its time limit"), in a test not marked `expects_time_limit`.

While a test runs, MPSCOPE_HANGS_FILE + ".running" names it: if pytest dies inside a test (pytest-timeout's
thread method ends the process; so does a crash), the file is left behind for scripts/test to report.
Without MPSCOPE_HANGS_FILE nothing is written; the terminal summary lists the hangs either way.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TIME_LIMIT_LOG, HangError

TIME_LIMIT_ERROR = "per run exceeded"  # app/engine/supervisor.py: "time limit of N s per run exceeded"
# pytest-timeout's failure: "Timeout (>120.0s) from pytest-timeout." (2.4), "Timeout >120.0s" (older)
TIMEOUTS = ("from pytest-timeout", "Timeout >")
SEEN: list[str] = []


def hangs_file() -> Path | None:
    path = os.environ.get("MPSCOPE_HANGS_FILE")
    return Path(path) if path else None


def classify(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport) -> str | None:
    """The kind of hang that failed this test, or None when it failed for another reason."""
    if call.excinfo is not None and call.excinfo.errisinstance(HangError):
        return str(call.excinfo.value.kind)  # type: ignore[attr-defined]
    if call.excinfo is not None and call.excinfo.errisinstance(subprocess.TimeoutExpired):
        return "hang guard"  # a subprocess that outlived its timeout=: a bound 10x+ its expected time
    text = str(report.longrepr or "")
    if call.excinfo is not None and any(t in str(call.excinfo.value) for t in TIMEOUTS):
        return "pytest-timeout"
    if item.get_closest_marker("expects_time_limit") is None and (
        TIME_LIMIT_ERROR in text or TIME_LIMIT_LOG in text
    ):
        return "time limit"
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[Any]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        kind = classify(item, call, report)
        if kind is not None:
            message = str(call.excinfo.value if call.excinfo else report.longrepr).strip().splitlines()
            line = f"{kind}\t{item.nodeid}\t{call.when}\t{message[0][:300] if message else ''}"
            SEEN.append(line)
            path = hangs_file()
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a") as f:
                    f.write(line + "\n")
    return report


def _running(nodeid: str | None) -> None:
    path = hangs_file()
    if path is None:
        return
    marker = path.with_name(path.name + ".running")
    if nodeid is None:
        marker.unlink(missing_ok=True)
    else:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(nodeid + "\n")


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _running(nodeid)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _running(None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SEEN:
        terminalreporter.section("hangs (never flakes: a rerun does not excuse them)", red=True)
        for line in SEEN:
            terminalreporter.write_line(line)
