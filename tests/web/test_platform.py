"""What the server's Python offers is shown, not assumed: start methods by version and OS."""

from __future__ import annotations

import multiprocessing
import platform
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.config import START_METHODS, python_default_start_method
from tests.helpers import LiveServer


def test_health_says_which_start_method_a_plain_script_gets_here(live_server: LiveServer) -> None:
    info = httpx.get(f"{live_server.url}/api/health", timeout=10).json()
    assert info["python"] == platform.python_version() and info["os"] == sys.platform
    assert set(info["start_methods"]) == set(START_METHODS) <= set(multiprocessing.get_all_start_methods())
    assert info["default_start_method"] in info["start_methods"]
    assert info["python_default_start_method"] == multiprocessing.get_all_start_methods()[0]


def test_the_python_default_follows_the_version_and_the_os() -> None:
    expected = "spawn" if sys.platform in ("darwin", "win32") else "forkserver"
    if sys.platform.startswith("linux") and sys.version_info < (3, 14):
        expected = "fork"
    assert python_default_start_method() == expected


# Importing the CLI and printing a message takes well under a second; a server that started would run
# until killed.
WINDOWS_STOP_HANG_GUARD_S = 30
# POSIX-only stdlib modules that nothing on the CLI's way to its Windows check needs on Linux either
# (psutil's Linux backend needs resource and pwd: those it imports on Linux only).
WINDOWS_LACKS = ("fcntl", "termios", "grp")


@pytest.mark.parametrize("argv", [["serve", "--port", "0"], ["trace", "program.py"]])
def test_native_windows_stops_at_once_naming_wsl(argv: list[str], tmp_path: Path) -> None:
    """No Windows machine here: a real interpreter made to look like one must refuse to serve or trace,
    and say to use WSL, rather than half-work. What it lacks is blocked before the CLI loads (the POSIX
    modules a native Windows Python does not have; the stdlib's own picks of them follow sys.platform,
    which is set only after, for the check in main)."""
    code = (
        "import sys\n"
        f"for name in {WINDOWS_LACKS!r}: sys.modules[name] = None\n"
        "from app.cli import main\n"
        "sys.platform = 'win32'\n"
        f"sys.exit(main({argv!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=WINDOWS_STOP_HANG_GUARD_S,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "native Windows is not supported" in done.stderr and "WSL" in done.stderr
    assert f"mpscope {argv[0]}:" in done.stderr
