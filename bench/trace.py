"""Tracing overhead: `mpscope trace` against VizTracer on the same unmodified programs, in the same run.

For each program in bench/programs/ (long ones: a Lock-guarded shared counter, a 100,000-item Queue, a
Pool.map; short ones of ~50 ms: a lock-guarded RawArray, a queue pipeline, a Pool map, a pipe ping-pong
and a Manager dict; see bench/trace_programs.py) the wall time of `python prog.py`, `mpscope trace --out
F.ndjson prog.py` and `viztracer -o F.json prog.py`, each the median of N runs, the three configurations
interleaved (this machine is shared and noisy). Then what each tracer recorded: mpscope's events (none
dropped, per-kind counts equal to what the program did) and VizTracer's entries of the calls that
matter, against how many there were (its ring buffer overflows on big programs and loses the oldest).
Targets: mpscope's slowdown at most half of VizTracer's on each long program (issue 7) and at most
VizTracer's on each short one (issue 14), with zero lost events and the program's output unchanged. For
the short programs it also prints where the start-up goes (bench/trace_startup.py). Prints JSON (and
writes it with --json FILE). VizTracer is a bench-only dependency: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from app import jsonio
from bench.common import ROOT, machine, report
from bench.trace_programs import ALL, SHORT, Program
from bench.trace_startup import baseline, breakdown

PROGRAMS = ROOT / "bench" / "programs"
CONFIGS = ("plain", "mpscope", "viztracer")
TIMEOUT_S = 120  # a run that takes longer has hung (VizTracer sometimes does on Pool exit): recorded


def command(config: str, script: Path, argv: list[str], out: Path) -> list[str]:
    if config == "plain":
        return [sys.executable, str(script), *argv]
    if config == "mpscope":
        return [sys.executable, "-m", "app", "trace", "--out", str(out), str(script), *argv]
    return [sys.executable, "-m", "viztracer", "--quiet", "-o", str(out), str(script), *argv]


def timed(cmd: list[str], cwd: Path) -> tuple[float, str] | None:
    """Wall time of one run, start to exit (start-up and the tracer's own finish included), and its
    stdout; None if it hung (killed after TIMEOUT_S). Its own session, so that whatever it leaves
    behind can be killed with it."""
    env = dict(os.environ, TMPDIR=str(cwd))  # a killed VizTracer leaves its per-process files there
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the run, if any (normally none)
        except ProcessLookupError:
            pass
        proc.wait()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}: {stderr.decode()[-2000:]}")
    return seconds, stdout.decode()


def mpscope_counts(path: Path) -> tuple[int, dict[str, Any], Counter[str]]:
    """Lines, run.end's data and per-kind counts (kind:primitive for named primitives) of an NDJSON trace."""
    lines = 0
    end: dict[str, Any] = {}
    kinds: Counter[str] = Counter()
    with path.open("rb") as f:
        for raw in f:
            lines += 1
            event = jsonio.loads(raw)
            kind, data = event["kind"], event["data"] or {}
            name = data.get("lock") or data.get("queue") or data.get("name")
            kinds[f"{kind}:{name}" if isinstance(name, str) else kind] += 1
            if kind == "run.end":
                end = data
    return lines, end, kinds


def viztracer_counts(path: Path, names: tuple[str, ...]) -> dict[str, int]:
    """How many entries VizTracer recorded for each function (its names are `qualname (file:line)` for
    Python functions)."""
    data = path.read_bytes()
    return {n: len(re.findall(rb'"name":\s*"' + re.escape(n.encode()) + rb" \(", data)) for n in names}


def measure(programs: list[Program], quick: bool, runs: int, short_runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mpscope-bench-trace-") as tmp:
        work = Path(tmp)
        times: dict[str, dict[str, list[float]]] = {p.name: {c: [] for c in CONFIGS} for p in programs}
        stdout: dict[str, dict[str, str]] = {p.name: {} for p in programs}
        hung: dict[str, Counter[str]] = {p.name: Counter() for p in programs}
        for rep in range(max(runs, short_runs)):
            for p in programs:
                if rep >= (short_runs if p.short else runs):
                    continue
                argv = p.quick if quick else p.full
                order = CONFIGS[rep % 3 :] + CONFIGS[: rep % 3]  # each configuration goes first in turn
                for config in order:
                    target = work / f"{p.name}.{'ndjson' if config == 'mpscope' else 'json'}"
                    done = timed(command(config, PROGRAMS / p.script, argv, target), work)
                    if done is None:
                        hung[p.name][config] += 1
                        continue
                    seconds, text = done
                    if config == "viztracer":  # its "\r Wait for child processes" is not the program's
                        text = re.sub(r"\r[^\n]*", "", text)
                    times[p.name][config].append(seconds)
                    if config != "plain":  # what the last completed run recorded is counted below
                        target.replace(work / f"{p.name}.{config}.done")
                    first = stdout[p.name].setdefault(config, text)
                    if first != text:
                        raise RuntimeError(f"{p.name} under {config} printed {text!r}, then {first!r}")
        for p in programs:  # the files of the last run of each
            argv = p.quick if quick else p.full
            mp_file, viz_file = work / f"{p.name}.mpscope.done", work / f"{p.name}.viztracer.done"
            events, end, kinds = mpscope_counts(mp_file) if mp_file.exists() else (0, {}, Counter())
            checks = p.expect(kinds, argv)
            viz = viztracer_counts(viz_file, p.viz_names) if viz_file.exists() else {}
            med = {c: statistics.median(times[p.name][c]) if times[p.name][c] else None for c in CONFIGS}
            slow_m, slow_v = _div(med["mpscope"], med["plain"]), _div(med["viztracer"], med["plain"])
            viz_seen, viz_expected = sum(viz.values()), p.viz_expected(argv)
            out[p.name] = {
                "argv": argv,
                "plain_s": _round(med["plain"], 3),
                "mpscope_s": _round(med["mpscope"], 3),
                "viztracer_s": _round(med["viztracer"], 3),
                "mpscope_slowdown": _round(slow_m, 2),
                "viztracer_slowdown": _round(slow_v, 2),
                "ratio": _round(_div(slow_m, slow_v), 3),
                "hung_runs": dict(hung[p.name]),
                "mpscope_events": events,
                "mpscope_dropped": end.get("dropped_events"),
                "mpscope_instrumentation_errors": (end.get("result") or {}).get("instrumentation_errors"),
                "expected_counts_ok": all(seen == want for seen, want in checks.values()),
                "expected_counts": {k: {"seen": s, "expected": e} for k, (s, e) in checks.items()},
                "viztracer_events_seen": viz_seen,
                "viztracer_expected": viz_expected,
                "viztracer_lost": max(0, viz_expected - viz_seen),
                "viztracer_by_name": viz,
                "same_stdout": len(set(stdout[p.name].values())) == 1,
                "runs_s": {c: [round(x, 3) for x in times[p.name][c]] for c in CONFIGS},
            }
            if p.short:
                out[p.name]["startup_ms"] = breakdown(PROGRAMS / p.script, argv, work, short_runs)
    return out


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json")
    parser.add_argument("--quick", action="store_true", help="smaller programs: about a minute in all")
    parser.add_argument("--runs", type=int, default=3, help="runs of each configuration (median)")
    parser.add_argument("--short-runs", type=int, default=5, help="the same, short programs")
    parser.add_argument("--only", nargs="*", choices=[p.name for p in ALL + SHORT])
    args = parser.parse_args()
    if importlib.util.find_spec("viztracer") is None:
        raise SystemExit("bench/trace.py needs VizTracer: pip install -e '.[bench]'")
    programs = [p for p in ALL + SHORT if not args.only or p.name in args.only]
    # The bytecode a `pip install` of mpscope (and of VizTracer) writes. This checkout is an editable
    # install, and where PYTHONDONTWRITEBYTECODE is set (as on the team's machine) no .pyc is ever
    # written: every traced interpreter then compiled the trace runtime from source (~20 ms each), a
    # cost no installed copy pays. Reading .pyc files is not affected by that variable.
    compileall.compile_dir(str(ROOT / "app"), quiet=1)
    result = measure(programs, args.quick, args.runs, args.short_runs)
    short = {p.name for p in SHORT}
    targets = {
        name: r["ratio"] is not None
        and r["ratio"] <= (1.0 if name in short else 0.5)
        and r["mpscope_dropped"] == 0
        and r["expected_counts_ok"]
        and r["same_stdout"]
        for name, r in result.items()
    }
    report(
        {
            "benchmark": "trace",
            "machine": machine(),
            "quick": args.quick,
            "runs": args.runs,
            "viztracer": _version("viztracer"),
            "baseline_ms": baseline(Path(tempfile.gettempdir()), args.short_runs),
            "programs": result,
            "targets_met": targets,
        },
        args.json,
    )


def _version(module: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(module)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
