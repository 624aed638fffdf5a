"""What the server's Python offers is shown, not assumed: start methods by version and OS."""

from __future__ import annotations

import multiprocessing
import platform
import sys

import httpx

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
