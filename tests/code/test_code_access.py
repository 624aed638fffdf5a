"""Who may start a code run: the presenter only (the token when one is set, a loopback client
otherwise), and on a non-loopback bind nobody unless the server was started with --allow-code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi import HTTPException
from starlette.requests import Request

from app.config import Settings
from app.web.code_access import require_presenter, why_not_presenter
from tests.code.runs import finished
from tests.helpers import LiveServer, start_server, stop_server

TOKEN = "presenter-token-for-code-tests"
PROGRAM = {"source": "print('hi')\n"}


@pytest.fixture
def wide_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """Bound to every address (so, a token), with or without --allow-code (the test's parameter)."""
    extra = ("--allow-code",) if request.param else ()
    server = start_server(tmp_path, "--no-history", "--host", "0.0.0.0", "--token", TOKEN, *extra)
    yield server
    stop_server(server)


@pytest.mark.parametrize("wide_server", [False], indirect=True)
def test_a_non_loopback_bind_has_code_runs_off_without_allow_code(wide_server: LiveServer) -> None:
    info = httpx.get(f"{wide_server.url}/api/code", timeout=30).json()
    assert info["enabled"] is False and "--allow-code" in info["why_disabled"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    info = httpx.get(f"{wide_server.url}/api/code", headers=auth, timeout=30).json()
    assert info["may_run"] is False and "--allow-code" in info["why_not"]  # not even the presenter
    answer = httpx.post(f"{wide_server.url}/api/runs", json=PROGRAM, headers=auth, timeout=10)
    assert answer.status_code == 403 and "--allow-code" in answer.json()["detail"]
    scenario = {"scenario": "race", "params": {"workers": 1, "increments": 1}}
    assert (
        httpx.post(f"{wide_server.url}/api/runs", json=scenario, headers=auth, timeout=10).status_code == 201
    )


# every process's environment and command line this program can read (the server was started with
# --token TOKEN on its command line, which every process of the machine may read unless it is blanked)
HUNT = f"""
import os
token, found, read = {TOKEN!r}.encode(), [], 0
for pid in filter(str.isdigit, os.listdir('/proc')):
    for what in ('environ', 'cmdline'):
        try:
            with open(f'/proc/{{pid}}/{{what}}', 'rb') as f:
                data = f.read()
        except OSError:
            continue
        read += 1
        if token in data:
            found.append((pid, what))
print('read', read > 0, 'found', found)
"""


@pytest.mark.parametrize("wide_server", [True], indirect=True)
def test_allow_code_lets_the_presenter_and_only_the_presenter_run_code(wide_server: LiveServer) -> None:
    info = httpx.get(f"{wide_server.url}/api/code", timeout=30).json()
    assert info["enabled"] is True and info["may_run"] is False and "presenter" in info["why_not"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.get(f"{wide_server.url}/api/code", headers=auth, timeout=30).json()["may_run"] is True
    cookie = {"Cookie": f"mpscope_token={TOKEN}"}  # what opening the presenter's link sets
    assert httpx.get(f"{wide_server.url}/api/code", headers=cookie, timeout=30).json()["may_run"] is True
    url = f"{wide_server.url}/api/runs"
    assert httpx.post(url, json=PROGRAM, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.post(url, json=PROGRAM, headers=wrong, timeout=10).status_code == 403
    answer = httpx.post(url, json=PROGRAM, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert answer.status_code == 201, answer.text
    run, _, output = finished(wide_server, answer.json()["id"])
    assert run["status"] == "succeeded" and output["stdout"] == "hi\n"


@pytest.mark.parametrize("wide_server", [True], indirect=True)
def test_no_code_run_can_read_the_token_anywhere(wide_server: LiveServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.post(f"{wide_server.url}/api/runs", json={"source": HUNT}, headers=auth, timeout=30)
    assert answer.status_code == 201, answer.text
    run, _, output = finished(wide_server, answer.json()["id"])
    assert run["status"] == "succeeded", run["error"]
    assert output["stdout"] == "read True found []\n"
    if sys.platform.startswith("linux"):  # blanked in the server's command line, for `ps` too
        shown = psutil.Process(wide_server.process.pid).cmdline()
        assert TOKEN not in " ".join(shown) and "*" * len(TOKEN) in shown


def request_from(host: str, settings: Settings) -> Request:
    from types import SimpleNamespace

    code = SimpleNamespace(unavailable=lambda: None)  # a process limit can be had: not this test's matter
    app = SimpleNamespace(state=SimpleNamespace(settings=settings, code=code))
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/api/runs",
            "headers": [],
            "client": (host, 5000),
            "app": app,
        }
    )


def test_with_no_token_only_a_loopback_client_may_run_code() -> None:
    settings = Settings()
    require_presenter(request_from("127.0.0.1", settings))
    require_presenter(request_from("::1", settings))
    with pytest.raises(HTTPException) as refused:
        require_presenter(request_from("192.168.1.20", settings))
    assert refused.value.status_code == 403
    assert "only the presenter may start a code run" in str(refused.value.detail)
    require_presenter(request_from("192.168.1.20", Settings(token="t")))  # the guard checked the token
    assert why_not_presenter(request_from("127.0.0.1", settings)) is None  # GET /api/code's may_run
    assert "loopback" in (why_not_presenter(request_from("192.168.1.20", settings)) or "")
    assert "presenter" in (why_not_presenter(request_from("127.0.0.1", Settings(token="t"))) or "")
