"""REST routes: thin handlers over the engine (its book of runs and the scenario launcher)."""

from __future__ import annotations

import asyncio
import platform
import sys
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app import __version__
from app.config import START_METHODS, python_default_start_method
from app.engine.book import RunBook
from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.errors import InvalidRequest
from app.events import json_array
from app.export.formats import FORMATS, render, to_ndjson
from app.export.imports import import_run_async
from app.frames import Counters
from app.scenarios import program
from app.web import code_access


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
    """A scenario run (`scenario`, `params`, `seed`) or a code run (`source`, `args`): one of the two."""

    model_config = ConfigDict(extra="forbid")

    scenario: str | None = Field(None, max_length=64, description="scenario id, from GET /api/scenarios")
    source: str | None = Field(
        None, description="a program to run as a code run instead of a scenario (at most 64 KiB of UTF-8)"
    )
    args: list[str] = Field(default_factory=list, description="a code run's command-line arguments")
    params: dict[str, Any] = Field(
        default_factory=dict, description="scenario parameters; defaults fill gaps"
    )
    start_method: Literal["forkserver", "spawn", "fork"] | None = None
    seed: int | None = Field(
        None, ge=0, le=2**32 - 1, description="seeds random in every process; default: new"
    )


def engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def book(request: Request) -> RunBook:
    return engine(request).book


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Up, which version, and what this server's Python offers: its start methods (mpscope's order), the
    one mpscope runs by default, and the one a plain script gets on this Python and OS."""
    return {
        "status": "ok",
        "version": __version__,
        "python": platform.python_version(),
        "os": sys.platform,
        "start_methods": list(START_METHODS),
        "default_start_method": request.app.state.settings.start_method,
        "python_default_start_method": python_default_start_method(),
    }


@router.get("/stats")
async def stats(request: Request) -> dict[str, int]:
    """Live counters: viewers, presentation followers, runs, events kept (in memory or on disk), frames
    sent (and of those, compressed: once each, whatever the viewers), every compression the server made
    (history for late joiners included), runs forgotten."""
    b, hub = book(request), request.app.state.hub
    return {
        "viewers": hub.client_count,
        "presentation_clients": request.app.state.presenters.client_count,
        "active_runs": b.active_count(),
        "runs": len(b.runs),
        "events_held": sum(run.event_count for run in b.runs.values()),
        "frames_built": hub.frames_built,
        "frames_compressed": hub.frames_compressed,
        "compressions": Counters.compressions,
        "forgotten_runs": b.forgotten_runs,
    }


@router.get("/scenarios")
async def list_scenarios(request: Request) -> list[dict[str, Any]]:
    return [s.describe() for s in engine(request).scenarios.registry.values()]


@router.get("/scenarios/{scenario_id}", responses=NOT_FOUND)
async def get_scenario(request: Request, scenario_id: str) -> dict[str, Any]:
    """The scenario, its lesson's `source`, and `program`: the same lesson as a plain multiprocessing
    program (python file.py runs it), which "Edit and run" opens."""
    scenario = engine(request).scenarios.scenario(scenario_id)
    return {**scenario.describe(), "source": scenario.source(), "program": program(scenario_id)}


@router.post("/runs", status_code=201, responses={**NOT_FOUND, **REFUSED, **GUARDED})
async def start_run(request: Request, body: StartRequest) -> dict[str, Any]:
    """Start a scenario run, or with `source` in place of `scenario`, a code run (the presenter only)."""
    if (body.scenario is None) == (body.source is None):
        loc = ["body", "scenario" if body.scenario is None else "source"]
        msg = (
            "Field required: give scenario, or source for a code run"
            if body.scenario is None
            else "give scenario or source, not both"
        )
        kind = "missing" if body.scenario is None else "value_error"
        raise InvalidRequest([{"loc": loc, "msg": msg, "type": kind}])
    if body.source is not None:
        if body.params or body.seed is not None:
            bad = "params" if body.params else "seed"
            msg = "a code run takes source, start_method and args only"
            raise InvalidRequest([{"loc": ["body", bad], "msg": msg, "type": "extra_forbidden"}])
        run = await code_access.start_code(request, body.source, body.start_method, body.args)
        return run.to_dict()
    if body.args:
        msg = "args are a code run's; a scenario takes params"
        raise InvalidRequest([{"loc": ["body", "args"], "msg": msg, "type": "extra_forbidden"}])
    assert body.scenario is not None  # checked above
    run = await engine(request).start(body.scenario, body.params, body.start_method, body.seed)
    return run.to_dict()


@router.get("/runs")
async def list_runs(
    request: Request,
    scenario: Annotated[str | None, Query(max_length=64, description="only this scenario's runs")] = None,
    status: Annotated[RunStatus | None, Query(description="only runs with this status")] = None,
) -> list[dict[str, Any]]:
    return [run.to_dict() for run in book(request).list(scenario, status.value if status else None)]


@router.delete("/runs/{run_id}", status_code=204, responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def delete_run(request: Request, run_id: str) -> Response:
    """Forget a finished run and its events (an active run answers 409: cancel it first)."""
    book(request).delete(run_id)
    return Response(status_code=204)


@router.get("/runs/{run_id}", responses=NOT_FOUND)
async def get_run(request: Request, run_id: str) -> dict[str, Any]:
    return book(request).get(run_id).to_dict()


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
    encoded = book(request).events_after(run_id, after)
    if "application/x-ndjson" in request.headers.get("accept", ""):
        return Response(to_ndjson(encoded), media_type="application/x-ndjson")
    return Response(json_array(encoded), media_type="application/json")


@router.post("/runs/{run_id}/pause", responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def pause_run(request: Request, run_id: str) -> dict[str, Any]:
    """Pause every process of a running run at its next reported step (409 if it is not running)."""
    return book(request).pause(run_id, True).to_dict()


@router.post("/runs/{run_id}/resume", responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def resume_run(request: Request, run_id: str) -> dict[str, Any]:
    return book(request).pause(run_id, False).to_dict()


@router.post("/runs/{run_id}/cancel", responses={**NOT_FOUND, **GUARDED, 409: {"model": Problem}})
async def cancel_run(request: Request, run_id: str) -> dict[str, Any]:
    return book(request).cancel(run_id).to_dict()


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
    run = book(request).get(run_id)
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
    body = await request.body()
    return (await import_run_async(book(request), body)).to_dict()
