"""A hang is never a flake: tests/hangs.py records the tests that failed because of one, so that
scripts/test fails even when such a test passes on its rerun; and a browser test cannot skip in CI.

Each case runs an inner pytest (pytester) with the project's conftest as a plugin, and reads the file
it was told to record hangs in (MPSCOPE_HANGS_FILE).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT

INNER = """
import subprocess
import sys
import time

import httpx
import pytest

from app.engine.run import RunStatus
from tests.helpers import start_and_finish, with_manager


def sleep_past_the_limit():
    body = lambda m: start_and_finish(m, "test-sleep", {"workers": 1, "seconds": 30})
    return with_manager(body, max_run_seconds=1)


def test_a_plain_failure():
    assert 1 == 2


@pytest.mark.timeout(1)
def test_a_pytest_timeout():
    time.sleep(30)


def test_a_subprocess_past_its_timeout():
    subprocess.run([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)


def test_a_run_at_its_time_limit_in_a_passing_test():
    assert sleep_past_the_limit().status == RunStatus.FAILED


@pytest.mark.expects_time_limit
def test_a_run_at_its_time_limit_on_purpose():
    assert "time limit" in sleep_past_the_limit().error


def test_a_leaked_run_slot(live_server):
    body = {"scenario": "race", "params": {"workers": 1, "increments": 400, "delay_ms": 50}}
    assert httpx.post(f"{live_server.url}/api/runs", json=body).status_code == 201


def test_a_browser(browser):
    pass
"""


class Inner:
    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.hangs = pytester.path / "hangs.txt"
        monkeypatch.setenv("PYTHONPATH", str(ROOT))
        monkeypatch.setenv("MPSCOPE_HANGS_FILE", str(self.hangs))
        monkeypatch.setenv("MPSCOPE_TEST_ORPHAN_GRACE_S", "5")
        monkeypatch.setenv("MPSCOPE_TEST_RUN_SLOT_GUARD_S", "1")
        monkeypatch.delenv("CI", raising=False)
        pytester.makepyfile(test_inner=INNER)

    def run(self, *tests: str) -> tuple[pytest.RunResult, dict[str, str]]:
        args = [f"test_inner.py::{t}" for t in tests]
        result = self.pytester.runpytest_subprocess("-p", "tests.conftest", "-p", "no:cacheprovider", *args)
        recorded = {}
        if self.hangs.exists():
            for line in self.hangs.read_text().splitlines():
                kind, nodeid, _when, _message = line.split("\t")
                recorded.setdefault(nodeid.split("::")[-1], kind)
        assert not Path(f"{self.hangs}.running").exists(), "the .running marker is removed after each test"
        return result, recorded


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Inner:
    return Inner(pytester, monkeypatch)


def test_a_plain_failure_is_not_a_hang_a_timeout_is(inner: Inner) -> None:
    result, recorded = inner.run(
        "test_a_plain_failure", "test_a_pytest_timeout", "test_a_subprocess_past_its_timeout"
    )
    result.assert_outcomes(failed=3)
    assert recorded == {
        "test_a_pytest_timeout": "pytest-timeout",
        "test_a_subprocess_past_its_timeout": "hang guard",
    }


def test_a_run_at_its_time_limit_fails_the_test_unless_it_is_expected(inner: Inner) -> None:
    result, recorded = inner.run(
        "test_a_run_at_its_time_limit_in_a_passing_test", "test_a_run_at_its_time_limit_on_purpose"
    )
    # The first test's own assertions pass; no_hangs fails it at teardown. The marked one passes.
    result.assert_outcomes(passed=2, errors=1)
    assert "TIME LIMIT: a run hit its time limit during the test" in result.stdout.str()
    assert recorded == {"test_a_run_at_its_time_limit_in_a_passing_test": "time limit"}


def test_a_run_left_going_on_the_live_server_is_a_leaked_run_slot(inner: Inner) -> None:
    result, recorded = inner.run("test_a_leaked_run_slot")
    assert "RUN SLOT: the test left runs going on the live server" in result.stdout.str()
    assert recorded == {"test_a_leaked_run_slot": "run slot"}


def test_in_ci_a_browser_test_without_chromium_fails_instead_of_skipping(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPSCOPE_TEST_CHROMIUM", str(inner.pytester.path / "no-chromium-here"))
    result, _ = inner.run("test_a_browser")
    result.assert_outcomes(skipped=1)
    monkeypatch.setenv("CI", "true")
    result, _ = inner.run("test_a_browser")
    result.assert_outcomes(errors=1)
    assert "CI=true, so browser tests must run, not skip" in result.stdout.str()
