"""A run's events out of mpscope and back in: NDJSON, Chrome trace JSON (Perfetto) and an offline page.

Pure functions over events (each event's stored JSON, or its parsed dict); no HTTP. Import is the
inverse of `to_ndjson`: `from_ndjson` checks every line against docs/events.md and names the first
bad line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app import __version__, jsonio
from app.assets import asset_dir, templates_env
from app.engine.run import RunStatus
from app.events import Event

FORMATS = {  # format -> (media type, file extension)
    "perfetto": ("application/json", "json"),
    "ndjson": ("application/x-ndjson", "ndjson"),
    "html": ("text/html; charset=utf-8", "html"),
}
SLICES = {"lock.wait", "lock.acquired", "lock.released", "lock.timeout", "pool.task.start", "pool.task.end"}
FIELDS = {"run": str, "seq": int, "t": int, "pid": int, "proc": str, "kind": str, "data": dict}
THREAD_TIDS = 1 << 23  # above any Linux pid (pid_max is at most 2**22)
RUN_ID = re.compile(r"[0-9a-f]{8}")
ENDED = {RunStatus.SUCCEEDED.value, RunStatus.FAILED.value, RunStatus.CANCELLED.value}


def to_ndjson(encoded: Iterable[bytes]) -> bytes:
    """One event per line, each exactly its stored JSON."""
    return b"".join(e + b"\n" for e in encoded)


def render(fmt: str, run: dict[str, Any], encoded: list[bytes]) -> bytes:
    """A run (its summary and each event's stored JSON) as one of FORMATS; CPU-bound for a big run."""
    if fmt == "ndjson":
        return to_ndjson(encoded)
    events = [jsonio.loads(e) for e in encoded]
    if fmt == "perfetto":
        return jsonio.dumps(to_perfetto(run, events))
    return to_html(run, events).encode()


# -- Chrome Trace Event Format ------------------------------------------------------------------------
def to_perfetto(run: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The run as a Chrome trace (JSON object form), for ui.perfetto.dev and chrome://tracing: a track
    per lane (pid, proc), the lane's lifetime, lock waits and holds and pool tasks as slices, queue
    depths as counters, every other event as an instant with its data as args. ts and dur are in us."""
    lanes: dict[tuple[int, str], int] = {}  # (pid, proc) -> tid
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    meta: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    open_: dict[tuple[int, str, str], dict[str, Any]] = {}  # (tid, what, key) -> its start event
    server_pid = next((e["pid"] for e in events if e["kind"].startswith("run.")), 0)

    def tid_of(e: dict[str, Any]) -> int:
        key = (e["pid"], e["proc"])
        if key not in lanes:
            # The process's own lane is its pid (its main thread); a thread's lane gets a tid of its own.
            taken = set(lanes.values())
            tid = e["pid"] if e["pid"] not in taken and "/" not in e["proc"] else THREAD_TIDS + len(lanes)
            lanes[key] = tid
            if not any(p == e["pid"] for p, _ in list(lanes)[:-1]):
                name = "mpscope server" if e["pid"] == server_pid else e["proc"].split("/")[0]
                meta.append(_meta("process_name", e["pid"], tid, {"name": f"{name} ({e['pid']})"}))
                meta.append(_meta("process_sort_index", e["pid"], tid, {"sort_index": len(meta)}))
            meta.append(_meta("thread_name", e["pid"], tid, {"name": e["proc"]}))
            meta.append(_meta("thread_sort_index", e["pid"], tid, {"sort_index": len(lanes)}))
        return lanes[key]

    def slice_(e: dict[str, Any], tid: int, start: dict[str, Any], name: str, cat: str, **args: Any) -> None:
        dur = max(e["t"] - start["t"], 0) / 1000
        out.append(
            {"ph": "X", "name": name, "cat": cat, "ts": start["t"] / 1000, "dur": dur, "pid": e["pid"]}
            | {"tid": tid, "args": args}
        )

    for e in sorted(events, key=lambda e: (e["t"], e["seq"])):
        tid, kind, data = tid_of(e), e["kind"], e["data"]
        first.setdefault(tid, e["t"])
        last[tid] = e["t"]
        if kind == "lock.wait":
            open_[(tid, "wait", str(data.get("lock")))] = e
        elif kind in ("lock.acquired", "lock.timeout"):
            lock = str(data.get("lock"))
            wait = open_.pop((tid, "wait", lock), None)
            if wait is not None:
                slice_(e, tid, wait, f"wait {lock}", "lock", lock=lock, timed_out=kind == "lock.timeout")
            if kind == "lock.acquired":
                open_[(tid, "hold", lock)] = e
        elif kind == "lock.released":
            lock = str(data.get("lock"))
            hold = open_.pop((tid, "hold", lock), None)
            if hold is not None:
                slice_(e, tid, hold, f"hold {lock}", "lock", lock=lock)
        elif kind == "pool.task.start":
            open_[(tid, "task", str(data.get("task")))] = e
        elif kind == "pool.task.end":
            task = open_.pop((tid, "task", str(data.get("task"))), None)
            if task is not None:
                slice_(e, tid, task, f"task {data.get('task')}", "pool", **data)
        if kind in ("queue.put", "queue.get") and isinstance(data.get("depth"), int | float):
            out.append(
                {"ph": "C", "name": f"queue {data.get('queue')} depth", "ts": e["t"] / 1000}
                | {"pid": server_pid, "tid": 0, "args": {"depth": data["depth"]}}
            )
        if kind not in SLICES:
            scope = "g" if kind.startswith("run.") else "t"
            out.append(
                {"ph": "i", "s": scope, "name": kind, "cat": kind.split(".")[0], "ts": e["t"] / 1000}
                | {"pid": e["pid"], "tid": tid, "args": data}
            )
    pids = {tid: pid for (pid, _), tid in lanes.items()}
    for (tid, what, key), start in open_.items():  # never closed (e.g. a deadlocked run): up to the end
        slice_({"t": last[tid], "pid": pids[tid]}, tid, start, f"{what} {key}", what, unfinished=True)
    for (pid, proc), tid in lanes.items():
        fake_end = {"t": last[tid], "pid": pid}
        slice_(fake_end, tid, {"t": first[tid]}, proc, "lifetime")
    out.sort(key=lambda ev: (ev["ts"], -ev.get("dur", 0)))  # enclosing slices before what they enclose
    metadata = {k: run.get(k) for k in ("id", "scenario", "params", "start_method", "status", "result")}
    return {
        "traceEvents": meta + out,
        "displayTimeUnit": "ms",
        "metadata": metadata | {"event_count": len(events), "exported_by": f"mpscope {__version__}"},
    }


def _meta(name: str, pid: int, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"ph": "M", "name": name, "ts": 0, "pid": pid, "tid": tid, "args": args}


# -- offline page -------------------------------------------------------------------------------------
def to_html(run: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """A self-contained page that replays the run with no server and no network: a small viewer
    (static/offline/) inlined with the events as JSON."""
    offline = asset_dir("static") / "offline"
    return templates_env.get_template("offline.html").render(
        run=run,
        version=__version__,
        css=(offline / "viewer.css").read_text(),
        js=(offline / "viewer.js").read_text(),
        data=_script_json({"run": run, "events": events}),
    )


def _script_json(value: Any) -> str:
    """JSON safe inside <script>: every "<" is escaped, so neither "</script>" nor "<!--" can appear."""
    return jsonio.dumps(value, default=repr).decode().replace("<", "\\u003c")


# -- import -------------------------------------------------------------------------------------------
class ImportProblem(ValueError):
    """A bad import: the message names the line (1-based) and the reason."""


def from_ndjson(body: bytes, max_events: int) -> list[Event]:
    """Parse and check a run's NDJSON: every field typed as docs/events.md says, seq 0, 1, 2, ... with no
    gap, one run id, run.start first and run.end (with a final status) last."""
    lines = body.split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()
    if not lines:
        raise ImportProblem("the file is empty: expected one event per line")
    if len(lines) > max_events:
        raise ImportProblem(f"{len(lines):,} events: the limit is {max_events:,} per run")
    out: list[Event] = []
    for n, line in enumerate(lines, 1):
        try:
            d = jsonio.loads(line)
        except jsonio.JSONDecodeError as exc:
            raise ImportProblem(f"line {n}: not JSON ({exc})") from None
        _check(d, n, out[0].run if out else None)
        out.append(Event(d["run"], d["seq"], d["t"], d["pid"], d["proc"], d["kind"], d["data"]))
    for n, event in enumerate(out[1:-1], 2):
        if event.kind in ("run.start", "run.end"):
            raise ImportProblem(f"line {n}: {event.kind} in the middle of the run")
    start, end = out[0], out[-1]
    if start.kind != "run.start":
        raise ImportProblem(f"line 1: the first event must be run.start, not {start.kind}")
    for field, kind in (("scenario", str), ("params", dict), ("start_method", str)):
        if not isinstance(start.data.get(field), kind):
            raise ImportProblem(f"line 1: run.start needs data.{field} ({kind.__name__})")
    if end.kind != "run.end":
        raise ImportProblem(f"line {len(out)}: the last event must be run.end, not {end.kind} (unfinished?)")
    if end.data.get("status") not in ENDED:
        raise ImportProblem(f"line {len(out)}: run.end needs data.status, one of {', '.join(sorted(ENDED))}")
    return out


def _check(d: Any, n: int, run_id: str | None) -> None:
    if not isinstance(d, dict):
        raise ImportProblem(f"line {n}: expected an event object, got {type(d).__name__}")
    if set(d) != set(FIELDS):
        missing, extra = sorted(set(FIELDS) - set(d)), sorted(set(d) - set(FIELDS))
        raise ImportProblem(f"line {n}: missing fields {missing}, unknown fields {extra}")
    for field, kind in FIELDS.items():
        if not isinstance(d[field], kind) or isinstance(d[field], bool):
            raise ImportProblem(f"line {n}: {field} must be {kind.__name__}, got {type(d[field]).__name__}")
    if d["seq"] != n - 1:
        raise ImportProblem(f"line {n}: seq is {d['seq']}, expected {n - 1} (0, 1, 2, ... with no gaps)")
    if not RUN_ID.fullmatch(d["run"]):
        raise ImportProblem(f"line {n}: run must be 8 hex characters, got {d['run'][:20]!r}")
    if run_id is not None and d["run"] != run_id:
        raise ImportProblem(f"line {n}: run {d['run']!r} differs from line 1's {run_id!r}: one run per file")
    if not d["kind"]:
        raise ImportProblem(f"line {n}: kind must not be empty")
