"""No silent loss: a process killed by a signal with events still buffered cannot send them, but the
tracer counts them (each process keeps a count of what it produced where the tracer reads it after the
process is gone) and the run's dropped events say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.trace.programs import METHODS, of, run_plain_and_traced


@pytest.mark.parametrize("method", METHODS)
def test_events_a_killed_process_never_sent_are_counted_as_dropped(method: str, tmp_path: Path) -> None:
    out = tmp_path / "t.ndjson"
    plain, traced, events = run_plain_and_traced("killed_unsent.py", [method], [method], out)
    assert plain.code == traced.code == 0, traced.stderr
    assert traced.stdout == plain.stdout == "doomed exit code: -9 last value: 99\n"
    (child,) = {e["pid"] for e in of(events, "process.exit") if e["proc"] == "doomed"}
    # what the child itself sent (the parent reports its join and its death by signal on its lane)
    sent = [e for e in events if e["pid"] == child and e["kind"] not in ("process.join", "process.exit")]
    produced = 1 + 100  # process.start and the 100 writes
    end = events[-1]["data"]
    lost = end["result"]["lost_events"]
    # process.start is sent at once; the writes wait in the buffer, all of them unless the buffer's
    # 20 ms flush came due between two writes (a loaded machine can stall the loop that long): then
    # the writes before it were sent, in order, and only the rest are lost.
    writes = [e["data"]["value"] for e in sent if e["kind"] == "value.write"]
    assert [e["kind"] for e in sent[:1]] == ["process.start"] and writes == list(range(len(writes)))
    assert len(sent) == 1 + len(writes) and len(writes) < 100
    assert lost == produced - len(sent) == 100 - len(writes)
    assert end["result"]["lost_by_pid"] == {str(child): lost}
    assert end["dropped_events"] == lost == end["result"]["dropped_events"]
    assert traced.stderr == (
        f"mpscope trace: {lost} events dropped ({lost} lost with processes that ended before sending "
        "them), 0 instrumentation errors\n"
    )
    assert plain.stderr == ""
