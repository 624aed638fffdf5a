"""REST routes of code runs: what the page needs to offer them (GET /api/code) and any run's output.
Starting one is POST /api/runs with `source` (app/web/api.py; who may: app/web/code_access.py).
Thin handlers over app/code/.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from app.code.output import transcript
from app.scenarios import NEW_PROGRAM, program
from app.web.api import NOT_FOUND
from app.web.code_access import feeder, why_disabled, why_not_presenter

router = APIRouter(prefix="/api", tags=["code"])


@router.get("/code")
async def code_info(request: Request) -> dict[str, Any]:
    """Whether this server takes code runs, whether this browser may start one (`may_run`: the presenter
    only; `why_not` says why not), the limits each gets, its network, and the New program template."""
    reason = await asyncio.to_thread(why_disabled, request.app.state.settings, feeder(request))
    why_not = reason or why_not_presenter(request)
    info = await asyncio.to_thread(feeder(request).describe)  # the first call probes the OS
    return {
        "enabled": reason is None,
        "why_disabled": reason,
        "may_run": why_not is None,
        "why_not": why_not,
        **info,
        "template": program(NEW_PROGRAM) or "",
    }


@router.get("/runs/{run_id}/output", responses=NOT_FOUND)
async def run_output(request: Request, run_id: str) -> dict[str, Any]:
    """The run's stdout and stderr, whole and as the chunks they came in (from its `output` events)."""
    run = request.app.state.engine.book.get(run_id)
    return await asyncio.to_thread(transcript, run.id, list(run.events))
