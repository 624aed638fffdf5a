"""`mpscope trace`: run a program under instrumentation and stream what its processes do.

The program runs as our child with the same interpreter and the same stdin/stdout/stderr; we exit with
its exit code. We are a child subreaper, so processes it leaves behind come back to us and are killed
when it ends; the reaper (app/reaper.py) kills every traced process if we ourselves are killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time

from app import accel
from app.engine.reaper import Reaper
from app.trace.collector import Collector
from app.trace.sinks import Sink

BOOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "boot")
FORWARD_AFTER_S = 2.0  # a Ctrl-C the program has not acted on by then is passed on to it by us


class Target:
    """What to run: a script path or a module (-m), and its arguments. (Not a dataclass: importing
    dataclasses costs a trace ~10 ms of start-up.)"""

    def __init__(self, script: str | None, module: str | None, argv: list[str] | None = None) -> None:
        self.script, self.module, self.argv = script, module, list(argv or [])

    @property
    def name(self) -> str:
        return self.script or f"-m {self.module}"

    def command(self) -> list[str]:
        head = [self.script] if self.script else ["-m", str(self.module)]
        return [sys.executable, *head, *self.argv]

    def source(self) -> str | None:
        path: str | None = self.script
        if self.module:
            import importlib.util

            with contextlib.suppress(ImportError, ValueError, AttributeError):
                spec = importlib.util.find_spec(self.module)
                path = spec.origin if spec else None
        try:
            if not path:
                return None
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return None


def trace(target: Target, sink: Sink, quiet: bool = False, keep: frozenset[int] = frozenset()) -> int:
    """Run the target traced into `sink`; returns its exit code (128+N if killed by signal N). `keep`:
    our other children (an embedded server), which outlive the program."""
    stamps = Stamps()
    try:
        return _trace(target, sink, quiet, keep, stamps)
    finally:
        stamps.mark("returned")
        stamps.save()


class Stamps:
    """When each phase of a trace began (CLOCK_MONOTONIC ns), for bench/trace.py's start-up breakdown:
    written as JSON to $MPSCOPE_TRACE_PROFILE if that is set, else nothing."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, int]] = [("entered", time.monotonic_ns())]

    def mark(self, name: str) -> None:
        self.marks.append((name, time.monotonic_ns()))

    def save(self) -> None:
        path = os.environ.get("MPSCOPE_TRACE_PROFILE")
        if path:
            with contextlib.suppress(OSError):
                with open(path, "w") as f:
                    json.dump(dict(self.marks), f)


def _trace(target: Target, sink: Sink, quiet: bool, keep: frozenset[int], stamps: Stamps) -> int:
    accel.become_subreaper()  # Linux; elsewhere the pids the collector saw are killed at the end
    reaper = Reaper()
    collector = Collector(sink.add, on_pid=reaper.watch)
    t0 = time.monotonic_ns()

    def start_reaper() -> None:
        nonlocal keep
        reaper.start(fork=True)  # no thread yet: the collector's starts after
        keep = keep | {reaper.pid or 0}
        stamps.mark("reaper_started")

    def open_sink(started: int | None = None) -> None:
        """run.start (its metadata module is imported here, not at our start), then the program's
        process.start if it is already running, then whatever its processes send."""
        from app.engine import trace_meta as meta

        sink.open(meta.start_data(target.name, target.argv, target.source()) | {"t0": t0})
        if sink.url and not quiet:
            print(f"mpscope trace: {sink.url}", file=sys.stderr, flush=True)
        if started is not None:
            sink.add(
                [
                    (
                        started,
                        program.pid,
                        "MainProcess",
                        "process.start",
                        {"ppid": os.getpid(), "role": "main"},
                    )
                ]
            )
        collector.start()
        stamps.mark("sink_opened")

    if not sink.program_first:
        start_reaper()
        open_sink()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (BOOT, env.get("PYTHONPATH", "")) if p)
    env["MPSCOPE_TRACE"] = f"{t0}:{collector.path}"
    interrupts: list[float] = []
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(signum: int, frame: object) -> None:
        interrupts.append(time.monotonic())
        if signum == signal.SIGTERM:
            _kill_tree(signal.SIGTERM, keep=keep)

    for s in previous:
        signal.signal(s, on_signal)
    try:
        program = subprocess.Popen(target.command(), env=env)
        started = time.monotonic_ns() - t0
        stamps.mark("program_started")
        if sink.program_first:  # the reaper's start, our imports and the file's opening overlap the
            start_reaper()  # program's own start-up (it cannot send before the collector reads: it waits)
            reaper.watch(program.pid)
            open_sink(started)
        else:
            reaper.watch(program.pid)
            sink.add(
                [
                    (
                        started,
                        program.pid,
                        "MainProcess",
                        "process.start",
                        {"ppid": os.getpid(), "role": "main"},
                    )
                ]
            )
        code = _wait(program, interrupts, keep)
        stamps.mark("program_exited")
        sink.add([(time.monotonic_ns() - t0, program.pid, "MainProcess", "process.exit", {"exitcode": code})])
    finally:
        leftovers = _kill_tree(signal.SIGKILL, grace=1.0, keep=keep, also=collector.pids)
        stamps.mark("leftovers_killed")
        collector.stop(grace=1.0)
        stamps.mark("collector_stopped")
        for s, handler in previous.items():
            signal.signal(s, handler)
    from app.engine import trace_meta as meta

    result = meta.result_data(
        code, len(collector.pids | {program.pid}), collector.dropped, collector.failures
    )
    if leftovers:
        result["result"]["killed_leftovers"] = leftovers
    # in dropped too: what processes produced and never sent (killed with events buffered)
    result["result"]["lost_events"] = sum(collector.lost.values())
    if collector.lost:
        result["result"]["lost_by_pid"] = {str(pid): n for pid, n in sorted(collector.lost.items())}
    sink.close(code, result, collector.dropped)
    stamps.mark("sink_closed")
    reaper.stop()
    stamps.mark("reaper_stopped")
    if collector.dropped or collector.failures:
        print(
            f"mpscope trace: {collector.dropped} events dropped ({sum(collector.lost.values())} lost with "
            f"processes that ended before sending them), {collector.failures} instrumentation errors",
            file=sys.stderr,
        )
    return code if code >= 0 else 128 - code


def _wait(program: subprocess.Popen[bytes], interrupts: list[float], keep: frozenset[int]) -> int:
    """Wait for the program. A Ctrl-C reaches it as it would without us (same process group); if it
    has not ended 2 s after one, it gets SIGINT from us too, and after a second one the tree is killed."""
    forwarded = killed = False
    pidfd = accel.pidfd_open(program.pid)  # readable when it exits: no polling delay at the end
    try:
        while True:
            if pidfd is not None:
                select.select([pidfd], [], [], 0.1)
            else:
                time.sleep(0.02)
            code = program.poll()
            if code is not None:
                return code
            if len(interrupts) > 1 and not killed:
                killed = True
                _kill_tree(signal.SIGKILL, keep=keep)
            elif interrupts and not forwarded and time.monotonic() - interrupts[0] > FORWARD_AFTER_S:
                forwarded = True
                with contextlib.suppress(OSError):
                    program.send_signal(signal.SIGINT)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _kill_tree(
    sig: int, grace: float = 0.0, keep: frozenset[int] = frozenset(), also: set[int] | None = None
) -> int:
    """Signal every descendant of ours but `keep` and theirs, and every traced pid in `also` still alive;
    returns how many there were. Orphans of the program are ours too: on Linux we are its subreaper,
    elsewhere the collector saw their pids."""
    if _nothing_left(keep, also or set()):
        return 0
    import psutil  # here: importing it cost every trace ~7 ms, and most programs leave nothing behind

    try:
        procs = psutil.Process().children(recursive=True)
        mine = {p.pid for p in procs}
        for pid in sorted((also or set()) - mine - {os.getpid()}):
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if "MPSCOPE_TRACE" in proc.environ():  # still ours, not a reused pid
                    procs.append(proc)
        skip = set(keep)
        for pid in keep:
            with contextlib.suppress(psutil.Error):
                skip |= {c.pid for c in psutil.Process(pid).children(recursive=True)}
    except psutil.Error:
        return 0
    procs = [p for p in procs if p.pid not in skip]
    if grace and procs:
        _, procs = psutil.wait_procs(procs, timeout=grace)
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.send_signal(sig)
    psutil.wait_procs(procs, timeout=2)
    return len(procs)


def _nothing_left(keep: frozenset[int], also: set[int]) -> bool:
    """True when, for sure, we have no child but `keep`'s and no traced pid is alive (Linux, from /proc:
    the usual case, decided in microseconds); False when unsure, and psutil looks properly."""
    try:
        children: set[int] = set()
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                children.update(int(pid) for pid in f.read().split())
    except (OSError, ValueError):
        return False
    if children - keep:
        return False
    for pid in also - {os.getpid()}:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except OSError:
            return False
        return False
    return True
