"""REST routes: thin handlers over the RunManager."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app import __version__
from app.events import json_array
from app.export import FORMATS, from_ndjson, imported_run, render, to_ndjson
from app.run import RunStatus
from app.runs import RunManager


class Problem(BaseModel):
    detail: str


class ValidationProblem(BaseModel):
    detail: list[dict[str, Any]]


NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such scenario or run"}
}
REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body is not JSON"},
    413: {"model": Problem, "description": "request body over the limit"},
    422: {
        "model": ValidationProblem,
        "description": "bad parameters: each error names the field and its bound",
    },
    429: {"model": Problem, "description": "over the limit of concurrent runs"},
}
GUARDED: dict[int | str, dict[str, Any]] = {
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
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="seeds random in every process; default: new"
    )


def manager(request: Request) -> RunManager:
    return request.app.state.manager  # type: ignore[no-any-return]


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/stats")
async def stats(request: Request) -> dict[str, int]:
    """Live counters: viewers, presentation followers, runs, events kept (in memory or on disk), frames
    sent, runs forgotten."""
    m = manager(request)
    return {
        "viewers": m.hub.client_count,
        "presentation_clients": request.app.state.presenters.client_count,
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
    run = await manager(request).start(body.scenario, body.params, body.start_method, body.seed)
    return run.to_dict()


@router.get("/runs")
async def list_runs(
    request: Request,
    scenario: Annotated[str | None, Query(max_length=64, description="only this scenario's runs")] = None,
    status: Annotated[RunStatus | None, Query(description="only runs with this status")] = None,
) -> list[dict[str, Any]]:
    return [run.to_dict() for run in manager(request).list(scenario, status.value if status else None)]


@router.delete("/runs/{run_id}", status_code=204, responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def delete_run(request: Request, run_id: str) -> Response:
    """Forget a finished run and its events (an active run answers 409: cancel it first)."""
    manager(request).delete(run_id)
    return Response(status_code=204)


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
        return Response(to_ndjson(encoded), media_type="application/x-ndjson")
    return Response(json_array(encoded), media_type="application/json")


@router.post("/runs/{run_id}/pause", responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def pause_run(request: Request, run_id: str) -> dict[str, Any]:
    """Pause every process of a running run at its next reported step (409 if it is not running)."""
    return manager(request).pause(run_id, True).to_dict()


@router.post("/runs/{run_id}/resume", responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def resume_run(request: Request, run_id: str) -> dict[str, Any]:
    return manager(request).pause(run_id, False).to_dict()


@router.post("/runs/{run_id}/cancel", responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def cancel_run(request: Request, run_id: str) -> dict[str, Any]:
    return manager(request).cancel(run_id).to_dict()


@router.get(
    "/runs/{run_id}/export",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "description": "the run as a file (Content-Disposition: attachment; filename=mpscope-ID.EXT)",
            "content": {
                "application/json": {"schema": {"type": "object", "required": ["traceEvents"]}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
    },
)
async def export_run(
    request: Request,
    run_id: str,
    format: Literal["perfetto", "ndjson", "html"] = Query(
        description="perfetto: Chrome trace JSON (ui.perfetto.dev, chrome://tracing); ndjson: the raw "
        "events, one per line, as POST /runs/import takes them; html: an offline page that replays the run"
    ),
) -> Response:
    """A run as a file. A run still going is exported as far as it got (and cannot be imported)."""
    run = manager(request).get(run_id)
    encoded, summary = list(run.events), run.to_dict()
    media_type, ext = FORMATS[format]
    body = (
        to_ndjson(encoded)
        if format == "ndjson"
        else await asyncio.to_thread(render, format, summary, encoded)
    )
    disposition = f'attachment; filename="mpscope-{run.id}.{ext}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.post(
    "/runs/import",
    status_code=201,
    responses={
        **GUARDED,
        413: {"model": Problem, "description": "file over the import limit (64 MiB by default)"},
        422: {"model": Problem, "description": "not a run's NDJSON: names the first bad line and why"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "a finished run's NDJSON, as GET /runs/{id}/export?format=ndjson gives it",
            "content": {  # the body is read as bytes, whatever its Content-Type
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_run(request: Request) -> dict[str, Any]:
    """Load a finished run's events back in: a new run (new id, events rewritten with it), status and
    result from its run.end, scenario and parameters from its run.start."""
    m = manager(request)
    body = await request.body()
    run = await asyncio.to_thread(lambda: imported_run(from_ndjson(body, m.limits.max_events_per_run)))
    return m.adopt(run).to_dict()
