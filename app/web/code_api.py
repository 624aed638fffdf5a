"""REST routes of code runs: what the page needs to offer them (GET /api/code), who may start one, and
any run's output. Starting one is POST /api/runs with `source` (app/web/api.py hands it here).

Only the presenter starts code runs: the token when one is set (app/web/security.py checks it on every
mutating route), loopback clients otherwise. On a non-loopback bind they are off unless the server was
started with --allow-code. Thin handlers over app/code/.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from app.code.feeder import CodeFeeder
from app.code.output import transcript
from app.config import Settings, is_loopback
from app.engine.run import Run
from app.scenarios import NEW_PROGRAM, program

router = APIRouter(prefix="/api", tags=["code"])


def feeder(request: Request) -> CodeFeeder:
    code: CodeFeeder = request.app.state.code
    return code


def why_disabled(settings: Settings) -> str | None:
    if not is_loopback(settings.host) and not settings.allow_code:
        return (
            f"code runs are off: this server is bound to {settings.host}, which is not a loopback "
            "address; start it with `mpscope serve --allow-code` to allow them"
        )
    return None


def require_presenter(request: Request) -> None:
    """403 unless this request may start a code run (the token itself was checked by the guard)."""
    settings: Settings = request.app.state.settings
    reason = why_disabled(settings)
    if reason is not None:
        raise HTTPException(403, reason)
    if settings.token is None:
        host = request.client.host if request.client else ""
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise HTTPException(
                403,
                f"only the presenter may start a code run: with no token set, that is a client on this "
                f"machine (a loopback address), not {host or 'unknown'}",
            )


async def start_code(request: Request, source: str, start_method: str | None, args: list[str]) -> Run:
    require_presenter(request)
    return await feeder(request).start(source, start_method, args)


@router.get("/code")
async def code_info(request: Request) -> dict[str, Any]:
    """Whether this server takes code runs, the limits each gets, its network, and the New program
    template."""
    reason = why_disabled(request.app.state.settings)
    info = await asyncio.to_thread(feeder(request).describe)  # the first call probes the OS
    return {"enabled": reason is None, "why_disabled": reason, **info, "template": program(NEW_PROGRAM) or ""}


@router.get("/runs/{run_id}/output", responses={404: {"description": "no such run"}})
async def run_output(request: Request, run_id: str) -> dict[str, Any]:
    """The run's stdout and stderr, whole and as the chunks they came in (from its `output` events)."""
    run = request.app.state.engine.book.get(run_id)
    return await asyncio.to_thread(transcript, run.id, list(run.events))
