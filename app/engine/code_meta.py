"""What a code run says about itself, built in one place: its spec (run.start), the checks its source
passes before anything starts (size, syntax), and the reason it ended, in words a presenter can act on.

A code run is a program typed into the page; app/code/ runs it traced and contained. The limits it can
hit each have one sentence here, and docs/security.md lists them.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass
from typing import Any

from app.config import CodeLimits
from app.engine.run import Origin, RunSpec

SCENARIO = "code"
SOURCE_NAME = "program.py"
MAX_SOURCE = 64 * 1024  # bytes of UTF-8: a lesson's program, not a project
MAX_ARGS = 64
MAX_ARG = 1000


def spec(source: str, start_method: str, args: list[str]) -> RunSpec:
    return RunSpec(
        Origin.CODE,
        SCENARIO,
        f"code: {SOURCE_NAME}",
        {"args": list(args)},
        start_method,
        extra={"source": source, "source_name": SOURCE_NAME, "args": list(args)},
    )


def problems(source: str, args: list[str]) -> list[dict[str, Any]]:
    """FastAPI-style 422 details for a source that must not start: too big, or not Python."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE:
        return [
            {
                "loc": ["body", "source"],
                "msg": f"source is {size:,} bytes, over the limit of {MAX_SOURCE:,} bytes (64 KiB)",
                "type": "too_long",
                "ctx": {"limit": MAX_SOURCE, "size": size},
            }
        ]
    found = []
    if len(args) > MAX_ARGS:
        found.append(_arg_problem(["body", "args"], f"at most {MAX_ARGS} arguments"))
    for i, arg in enumerate(args[:MAX_ARGS]):
        if len(arg) > MAX_ARG or "\0" in arg:
            found.append(_arg_problem(["body", "args", i], f"at most {MAX_ARG} characters, no NUL"))
    syntax = syntax_problem(source)
    return found + ([syntax] if syntax else [])


def _arg_problem(loc: list[Any], msg: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": "value_error"}


def syntax_problem(source: str) -> dict[str, Any] | None:
    """None if `source` compiles, else the 422 detail naming its line and column (both 1-based)."""
    try:
        compile(source, SOURCE_NAME, "exec", dont_inherit=True)
    except SyntaxError as exc:
        what = exc.msg or "invalid syntax"
        msg = what if what.startswith("invalid syntax") else f"invalid syntax: {what}"
        line, col = exc.lineno or 1, exc.offset or 1
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes (3.11), absurd nesting
        msg, line, col = f"invalid syntax: {exc}", 1, 1
    else:
        return None
    return {
        "loc": ["body", "source"],
        "msg": f"{msg} (line {line})",
        "type": "syntax_error",
        "ctx": {"line": line, "col": col},
    }


# -- how it ended ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """One containment limit: what the program's stderr shows when it hits it, and what we say."""

    name: str
    marker: re.Pattern[str]
    message: str


def limits_hit(limits: CodeLimits) -> list[Limit]:
    """The limits whose hit shows as an exception in the program's stderr, in the order checked."""
    return [
        Limit(
            "processes",
            re.compile(r"\[Errno 11\] Resource temporarily unavailable|can't start new thread"),
            f"stopped: the program tried to start more than {limits.processes} processes and threads "
            "(the run's process limit: cgroup pids.max or RLIMIT_NPROC)",
        ),
        Limit(
            "memory",
            re.compile(r"^MemoryError\b|\bMemoryError$|Cannot allocate memory", re.M),
            f"stopped: the program ran out of its {limits.address_space_mb:,} MB of memory per process "
            "(RLIMIT_AS)",
        ),
        Limit(
            "file_size",
            re.compile(r"\[Errno 27\] File too large"),
            f"stopped: the program wrote a file past the limit of {limits.file_size_mb:,} MB (RLIMIT_FSIZE)",
        ),
        Limit(
            "open_files",
            re.compile(r"\[Errno 24\] Too many open files"),
            f"stopped: the program opened more than {limits.open_files} files at once (RLIMIT_NOFILE)",
        ),
        Limit(
            "network",
            re.compile(r"\[Errno (101|111|99)\] (Network is unreachable|Connection refused|Cannot assign)"),
            "stopped: the program tried to use the network, which code runs do not have (they run in a "
            "network namespace of their own)",
        ),
    ]


def cpu_message(limits: CodeLimits) -> str:
    return f"stopped: the program used its {limits.cpu_s} s of CPU time (RLIMIT_CPU)"


def time_message(seconds: float) -> str:
    return f"stopped: the program ran past the time limit of {seconds:g} s per run"


def events_message(limit: int) -> str:
    return f"stopped: limit of {limit:,} events per run exceeded"


def describe(
    exitcode: int | None,
    stderr: str,
    limits: CodeLimits,
    network_isolated: bool,
    processes_refused: bool | None = None,
) -> tuple[str | None, dict[str, Any] | None]:
    """(the reason the run failed or None, the run.error data of its last traceback or None).
    `processes_refused`: whether the process limit refused a start, where that is known (a cgroup counts
    it); None: judge by stderr (a thread that could not start may also be out of memory)."""
    error = last_exception(stderr)
    if exitcode == 0:
        return None, None
    if exitcode is not None and exitcode in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return cpu_message(limits), error
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the program was killed by {name}", error
    for limit in limits_hit(limits):
        if limit.name == "network" and not network_isolated:
            continue
        if limit.name == "processes" and processes_refused is not None:
            if processes_refused:
                return limit.message, error
            continue
        if limit.marker.search(stderr):
            return limit.message, error
    if error is not None:
        where = f" (line {error['line']})" if error.get("line") else ""
        return f"{error['error']}{where}", error
    return f"the program exited with code {exitcode}", None


TRACEBACK = "Traceback (most recent call last):"
FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)', re.M)


def last_exception(stderr: str, program: str = SOURCE_NAME) -> dict[str, Any] | None:
    """The last traceback in `stderr` as run.error data: `error` (its last line), `traceback`, and `line`,
    the 1-based line in the program of the innermost frame that is in it (absent if none is)."""
    at = stderr.rfind(TRACEBACK)
    if at < 0:
        return None
    block = stderr[at:]
    lines = block.splitlines()
    # the traceback ends at its exception line: the first line after it that is not indented
    end = next((i for i in range(1, len(lines)) if lines[i] and not lines[i].startswith(" ")), None)
    if end is None:
        return None
    tb = "\n".join(lines[: end + 1])
    data: dict[str, Any] = {"error": lines[end].strip(), "traceback": tb}
    frames = [int(m["line"]) for m in FRAME.finditer(tb) if m["file"].endswith(program)]
    if frames:
        data["line"] = frames[-1]
    return data
