"""The no_orphans check (tests/conftest.py) sees the processes a test leaks, even orphaned ones.

A process whose parent exits is re-parented: to init, unless an ancestor is a child subreaper. pytest
is one (Linux's prctl, at session start), so a leaked grandchild stays pytest's descendant and the check
finds it. Without the subreaper, it still finds what is left of a server's session (start_server starts
each server in a session of its own). Each case runs an inner pytest (pytester) with the project's
conftest as a plugin, on a test that leaks on purpose; the leaked process is killed here afterwards.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator

import psutil
import pytest

from tests.helpers import ORPHANS, ROOT, reap_adopted_zombies, wait_until

# A child that starts a grandchild and exits at once: the grandchild is orphaned, still sleeping.
LEAK = """
import subprocess, sys
marker = sys.argv[1]
sleeper = subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(300)", marker],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
print(sleeper.pid)
"""

INNER = """
import os, subprocess, sys
from pathlib import Path

from tests.helpers import ORPHANS

LEAK = {leak!r}


def leak(**popen):
    child = subprocess.Popen(
        [sys.executable, "-c", LEAK, os.environ["LEAK_MARKER"]], stdout=subprocess.PIPE, text=True, **popen
    )
    if popen.get("start_new_session"):
        ORPHANS.sessions.add(child.pid)  # as start_server does for a server
    out, _ = child.communicate(timeout=60)
    Path(os.environ["LEAK_PID_FILE"]).write_text(out.strip())


def test_leaks_a_grandchild():
    leak()


def test_leaks_a_grandchild_in_a_servers_session():
    leak(start_new_session=True)
"""


class Leak:
    """An inner pytest run, and the sleeper it leaked (killed at the end, whatever happened)."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.marker = f"mpscope-leaked-on-purpose-{uuid.uuid4().hex}"
        self.pid_file = pytester.path / "leaked.pid"
        monkeypatch.setenv("PYTHONPATH", str(ROOT))  # `tests` (the project's conftest) for the inner pytest
        monkeypatch.setenv("LEAK_MARKER", self.marker)
        monkeypatch.setenv("LEAK_PID_FILE", str(self.pid_file))
        monkeypatch.setenv("MPSCOPE_TEST_ORPHAN_GRACE_S", "1")  # the sleeper never goes: no need to wait long
        # The inner run's leaks are on purpose: they must not land in the outer run's record of hangs.
        monkeypatch.setenv("MPSCOPE_HANGS_FILE", str(pytester.path / "hangs.txt"))
        pytester.makepyfile(test_inner=INNER.format(leak=textwrap.dedent(LEAK)))

    def run(self, test: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess(
            "-p", "tests.conftest", "-p", "no:cacheprovider", f"test_inner.py::{test}", timeout=120
        )

    def sleeper(self) -> psutil.Process | None:
        """The leaked process, if it is still alive (checked by its marker: never another's pid)."""
        if not self.pid_file.exists():
            return None
        try:
            proc = psutil.Process(int(self.pid_file.read_text()))
            alive = proc.status() != psutil.STATUS_ZOMBIE and self.marker in proc.cmdline()
        except psutil.Error:
            return None
        return proc if alive else None

    def kill(self) -> None:
        proc = self.sleeper()
        if proc is not None:
            with contextlib.suppress(psutil.Error):
                proc.kill()
                proc.wait(10)
        reap_adopted_zombies()  # it may have been re-parented to us


@pytest.fixture
def leak(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[Leak]:
    leak = Leak(pytester, monkeypatch)
    try:
        yield leak
    finally:
        leak.kill()


def assert_reported(result: pytest.RunResult, leak: Leak) -> None:
    output = result.stdout.str()
    pid = leak.pid_file.read_text().strip()
    # The test itself passed; its teardown (no_orphans) failed, naming the sleeper.
    result.assert_outcomes(passed=1, errors=1)
    assert f"test left 1 process(es) alive: ['{pid} " in output, output
    assert leak.sleeper() is None, "no_orphans killed what it reported"


def test_a_grandchild_leaked_by_a_test_is_reported_and_killed(leak: Leak) -> None:
    result = leak.run("test_leaks_a_grandchild")
    assert_reported(result, leak)
    assert "orphan check: pytest is a child subreaper" in result.stdout.str()


def test_without_the_subreaper_a_servers_session_is_still_searched(
    leak: Leak, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPSCOPE_TEST_NO_SUBREAPER", "1")
    result = leak.run("test_leaks_a_grandchild_in_a_servers_session")
    assert_reported(result, leak)
    assert "orphan check: NO subreaper (MPSCOPE_TEST_NO_SUBREAPER is set)" in result.stdout.str()


ZOMBIE_HANG_GUARD_S = 30  # 10x+ the ~1 s a short-lived process takes to start and exit


def test_adopted_zombies_are_reaped_but_not_a_popens_child() -> None:
    """A zombie re-parented to pytest is reaped; a child whose Popen has not waited for it yet keeps its
    exit status for that Popen."""
    mine = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    script = "import subprocess, sys; print(subprocess.Popen([sys.executable, '-c', 'pass']).pid)"
    orphan = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout)

    def zombie(pid: int) -> bool:
        try:
            proc = psutil.Process(pid)
            return proc.ppid() == psutil.Process().pid and proc.status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    if ORPHANS.subreaper:  # else the orphan went to init (or another subreaper), not to us
        wait_until(lambda: zombie(orphan), ZOMBIE_HANG_GUARD_S, "the orphan is pytest's zombie")
    wait_until(lambda: zombie(mine.pid), ZOMBIE_HANG_GUARD_S, "the Popen's child has exited")
    reaped = reap_adopted_zombies()
    assert mine.pid not in reaped and mine.wait(10) == 3
    if ORPHANS.subreaper:
        assert orphan in reaped and not psutil.pid_exists(orphan)
