"""REST routes of the trace ingest: where `mpscope trace` sends a traced program's events.

Loopback clients only (the tracer runs on this machine), and, being mutating routes, they need the
presenter token when the server has one (app/web/security.py). Thin handlers over app/engine/traces.py.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from app.engine.trace_meta import MAX_SOURCE
from app.engine.traces import TraceFeeder
from app.web.api import GUARDED, NOT_FOUND, REFUSED, Problem

router = APIRouter(prefix="/api/traces", tags=["trace"])
MAX_BATCH = 10_000
MAX_BATCH_BYTES = 8 * 1024 * 1024  # a batch of 10,000 events with their data
LOCAL_ONLY: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "not a loopback client"}
}
ENDED: dict[int | str, dict[str, Any]] = {409: {"model": Problem, "description": "the trace has ended"}}


class TraceStart(BaseModel):
    model_config = ConfigDict(extra="ignore")  # the tracer also sends fields the server derives itself

    script: str = Field(min_length=1, max_length=4096, description="the traced script or `-m module`")
    argv: list[str] = Field(default_factory=list, max_length=256, description="its arguments")
    source: str | None = Field(None, max_length=MAX_SOURCE, description="its source, for the source panel")
    t0: int | None = Field(None, ge=0, description="the tracer's CLOCK_MONOTONIC start, in ns")


class TraceEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exitcode: int | None = Field(description="the program's exit code; negative: killed by that signal")
    result: dict[str, Any] = Field(default_factory=dict, description="counts from the tracer")
    dropped: int = Field(0, ge=0, description="events the tracer could not deliver")


def traces(request: Request) -> TraceFeeder:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise HTTPException(403, f"trace ingest takes loopback clients only, not {host or 'unknown'}")
    feeder: TraceFeeder = request.app.state.engine.traces
    return feeder


@router.post("", status_code=201, responses={**REFUSED, **GUARDED, **LOCAL_ONLY})
async def open_trace(request: Request, body: TraceStart) -> dict[str, Any]:
    """Open a run of scenario `trace` for a program that `mpscope trace` is about to start."""
    return traces(request).open(body.script, body.argv, body.source, body.t0).to_dict()


@router.post("/{run_id}/events", responses={**NOT_FOUND, **REFUSED, **GUARDED, **LOCAL_ONLY, **ENDED})
async def add_events(
    request: Request, run_id: str, body: Annotated[list[list[Any]], Body(max_length=MAX_BATCH)]
) -> dict[str, int]:
    """Append wire events `[t, pid, proc, kind, data]` (t: ns since the trace's t0) in arrival order."""
    return {"accepted": traces(request).add(run_id, body)}


@router.post("/{run_id}/end", responses={**NOT_FOUND, **REFUSED, **GUARDED, **LOCAL_ONLY, **ENDED})
async def end_trace(request: Request, run_id: str, body: TraceEnd) -> dict[str, Any]:
    """The program has ended: the run ends too, succeeded if it exited with 0."""
    return traces(request).end(run_id, body.exitcode, body.result, body.dropped).to_dict()
