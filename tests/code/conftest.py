"""A server for the code-run tests: small limits, so a limit is hit fast, and a secret in its
environment that no code run may see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.code.runs import SECRET, SERVER_ARGS
from tests.helpers import LiveServer, start_server, stop_server


@pytest.fixture(scope="module")
def code_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("code"), *SERVER_ARGS, env={"MPSCOPE_TEST_SECRET": SECRET})
    yield server
    stop_server(server)
