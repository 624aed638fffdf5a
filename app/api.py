"""REST routes: thin handlers over the RunManager."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app import __version__
from app.events import json_array
from app.runs import RunManager


class Problem(BaseModel):
    detail: str


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]


NOT_FOUND = {404: {"model": Problem, "description": "no such scenario or run"}}
REFUSED = {
    400: {"model": Problem, "description": "the body is not JSON"},
    413: {"model": Problem, "description": "request body over the limit"},
    422: {
        "model": ValidationProblem,
        "description": "bad parameters: each error names the field and its bound",
    },
    429: {"model": Problem, "description": "over the limit of concurrent runs"},
}
GUARDED = {
    401: {"model": Problem, "description": "a token is needed"},
    403: {"model": Problem, "description": "wrong token, or a foreign Origin"},
}

router = APIRouter(prefix="/api")


class StartRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(max_length=64, description="scenario id, from GET /api/scenarios")
    params: dict[str, Any] = Field(
        default_factory=dict, description="scenario parameters; defaults fill gaps"
    )
    start_method: Literal["forkserver", "spawn", "fork"] | None = None


def manager(request: Request) -> RunManager:
    return request.app.state.manager  # type: ignore[no-any-return]


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/stats")
async def stats(request: Request) -> dict[str, int]:
    """Live counters: viewers connected, runs, events held in memory, frames sent, runs forgotten."""
    m = manager(request)
    return {
        "viewers": m.hub.client_count,
        "active_runs": m.active_count(),
        "runs": len(m.runs),
        "events_held": sum(run.event_count for run in m.runs.values()),
        "frames_built": m.hub.frames_built,
        "forgotten_runs": m.forgotten_runs,
    }


@router.get("/scenarios")
async def list_scenarios(request: Request) -> list[dict[str, Any]]:
    return [s.describe() for s in manager(request).registry.values()]


@router.get("/scenarios/{scenario_id}", responses=NOT_FOUND)
async def get_scenario(request: Request, scenario_id: str) -> dict[str, Any]:
    scenario = manager(request).scenario(scenario_id)
    return {**scenario.describe(), "source": scenario.source()}


@router.post("/runs", status_code=201, responses={**NOT_FOUND, **REFUSED, **GUARDED})
async def start_run(request: Request, body: StartRequest) -> dict[str, Any]:
    run = await manager(request).start(body.scenario, body.params, body.start_method)
    return run.to_dict()


@router.get("/runs")
async def list_runs(request: Request) -> list[dict[str, Any]]:
    return [run.to_dict() for run in manager(request).list()]


@router.get("/runs/{run_id}", responses=NOT_FOUND)
async def get_run(request: Request, run_id: str) -> dict[str, Any]:
    return manager(request).get(run_id).to_dict()


@router.get(
    "/runs/{run_id}/events",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "description": "the events, in seq order",
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        },
    },
)
async def get_events(request: Request, run_id: str, after: int = Query(-1, ge=-1)) -> Response:
    """Events with seq > `after`: a JSON array, or NDJSON with `Accept: application/x-ndjson`."""
    encoded = manager(request).events_after(run_id, after)
    if "application/x-ndjson" in request.headers.get("accept", ""):
        return Response(b"".join(e + b"\n" for e in encoded), media_type="application/x-ndjson")
    return Response(json_array(encoded), media_type="application/json")


@router.post("/runs/{run_id}/cancel", responses={**NOT_FOUND, **GUARDED})
async def cancel_run(request: Request, run_id: str) -> dict[str, Any]:
    return manager(request).cancel(run_id).to_dict()
