"""The retention policy for finished runs: which to forget, oldest first, so that at most `max_runs`
finished runs and `max_events` events (all runs together) are kept. Active runs are never forgotten."""

from __future__ import annotations

from collections.abc import Iterable

from app.engine.run import Run


def runs_to_forget(runs: Iterable[Run], max_runs: int, max_events: int) -> list[Run]:
    runs = list(runs)
    finished = sorted((r for r in runs if not r.active), key=lambda r: r.created_at)
    excess = len(finished) - max_runs
    total = sum(run.event_count for run in runs)
    forget = []
    for n, run in enumerate(finished):
        if n >= excess and total <= max_events:
            break
        total -= run.event_count
        forget.append(run)
    return forget
