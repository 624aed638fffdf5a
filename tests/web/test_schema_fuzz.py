"""Property-based API test: schemathesis generates requests from our OpenAPI schema and sends them to
a real server. No answer may be a 5xx or break the schema, whatever it is sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.helpers import LiveServer, start_server, stop_server

# Generated runs are real and get 2 s each: some end at their time limit, as they should.
pytestmark = pytest.mark.expects_time_limit


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Runs it starts are real: keep them small so the fuzzing stays cheap.
    server = start_server(tmp_path_factory.mktemp("fuzz"), "--max-run-seconds", "2", "--max-events", "20000")
    yield server
    for run in httpx.get(f"{server.url}/api/runs").json():
        httpx.post(f"{server.url}/api/runs/{run['id']}/cancel")
    stop_server(server)


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_no_schema_violation(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.status_code_conformance,
            schemathesis.checks.content_type_conformance,
            schemathesis.checks.response_schema_conformance,
        ]
    )


def test_fuzz_server_is_still_healthy(fuzz_server: LiveServer) -> None:
    assert httpx.get(f"{fuzz_server.url}/api/health").json()["status"] == "ok"
    assert "Traceback" not in fuzz_server.output()
