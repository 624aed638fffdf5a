"""mpscope trace where the OS offers less than Linux: macOS has no sem_getvalue(), so a SemLock cannot
tell its value there. Every Lock and Semaphore is still traced (a Semaphore without its count); before,
reading that value failed and every Lock of the program went untraced, as instrumentation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trace.programs import METHODS, check_common, exact, of, on_lanes, run_plain_and_traced, started


@pytest.mark.parametrize("method", METHODS)
def test_locks_and_semaphores_are_traced_where_a_semlock_cannot_tell_its_value(
    method: str, tmp_path: Path
) -> None:
    plain, traced, events = run_plain_and_traced(
        "no_sem_getvalue.py", [method], [method], tmp_path / "t.ndjson"
    )
    assert plain.code == traced.code == 0, traced.stderr
    assert exact(traced.stdout) == exact(plain.stdout) == "no sem_getvalue, total: 3\n"
    assert traced.stderr == ""
    check_common(events, 0, method)  # no instrumentation error among them
    workers = [f"worker-{i}" for i in range(3)]
    assert sorted(started(events)) == workers
    for kind in ("lock.acquired", "lock.released"):
        assert on_lanes(events, kind, lock="lock") == {w: 1 for w in workers}, kind
    for kind in ("semaphore.acquired", "semaphore.released"):
        assert on_lanes(events, kind, semaphore="slots") == {w: 1 for w in workers}, kind
        # the count is left out where it cannot be known, never made up
        assert all("inside" not in e["data"] for e in of(events, kind, semaphore="slots"))
