"""How a code run's end is put in words (app/engine/code_meta.describe), without a server: which limit a
program's exit and stderr point at, and the line its last traceback names in the program."""

from __future__ import annotations

import signal

from app.config import CodeLimits
from app.engine.code_meta import describe, last_exception

LIMITS = CodeLimits(cpu_s=3, address_space_mb=128, processes=20, file_size_mb=4, open_files=64)


def traceback(line: int, error: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "/tmp/mpscope-code-x/program.py", line {line}, in <module>\n'
        "    work()\n"
        '  File "/usr/lib/python3.11/threading.py", line 971, in start\n'
        "    _start_new_thread(self._bootstrap, ())\n"
        f"{error}\n"
    )


def test_a_thread_refused_for_memory_is_not_the_process_limit_where_a_cgroup_counts() -> None:
    stderr = traceback(7, "RuntimeError: can't start new thread")
    reason, error = describe(1, stderr, LIMITS, True, processes_refused=False)
    assert reason == "RuntimeError: can't start new thread (line 7)"
    assert error is not None and error["line"] == 7
    reason, _ = describe(1, stderr, LIMITS, True, processes_refused=True)
    assert reason is not None and reason.startswith(
        "stopped: the program tried to start more than 20 processes"
    )


def test_without_a_cgroup_stderr_decides_the_process_limit() -> None:
    stderr = traceback(5, "BlockingIOError: [Errno 11] Resource temporarily unavailable")
    reason, error = describe(1, stderr, LIMITS, True)
    assert reason is not None and reason.startswith(
        "stopped: the program tried to start more than 20 processes"
    )
    assert error is not None and error["line"] == 5


def test_each_limit_is_named_from_the_programs_stderr() -> None:
    cases = {
        "MemoryError": "stopped: the program ran out of its 128 MB of memory per process (RLIMIT_AS)",
        "OSError: [Errno 27] File too large": "stopped: the program wrote a file past the limit of 4 MB",
        "OSError: [Errno 24] Too many open files": "stopped: the program opened more than 64 files at once",
        "ConnectionRefusedError: [Errno 111] Connection refused": (
            "stopped: the program tried to use the network"
        ),
    }
    for last_line, expected in cases.items():
        reason, error = describe(1, traceback(9, last_line), LIMITS, True, processes_refused=False)
        assert reason is not None and reason.startswith(expected), (last_line, reason)
        assert error is not None and error["error"] == last_line and error["line"] == 9


def test_a_refused_connection_is_the_programs_own_error_where_the_network_is_open() -> None:
    stderr = traceback(2, "ConnectionRefusedError: [Errno 111] Connection refused")
    reason, _ = describe(1, stderr, LIMITS, False, processes_refused=False)
    assert reason == "ConnectionRefusedError: [Errno 111] Connection refused (line 2)"


def test_signals_and_plain_exits() -> None:
    assert describe(0, "", LIMITS, True) == (None, None)
    assert (
        describe(-signal.SIGXCPU, "", LIMITS, True)[0]
        == "stopped: the program used its 3 s of CPU time (RLIMIT_CPU)"
    )
    assert describe(-signal.SIGKILL, "", LIMITS, True)[0] == "the program was killed by SIGKILL"
    assert describe(3, "", LIMITS, True) == ("the program exited with code 3", None)


def test_the_line_is_the_innermost_frame_in_the_program() -> None:
    stderr = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/d/program.py", line 12, in <module>\n'
        "    main()\n"
        '  File "/tmp/d/program.py", line 4, in main\n'
        "    1 / 0\n"
        "ZeroDivisionError: division by zero\n"
        "some later output\n"
    )
    data = last_exception(stderr)
    assert data is not None and data["line"] == 4 and data["error"] == "ZeroDivisionError: division by zero"
    assert data["traceback"].endswith("ZeroDivisionError: division by zero")
    assert last_exception("no traceback here\n") is None
