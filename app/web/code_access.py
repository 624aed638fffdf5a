"""Who may start a code run, and the start itself, for POST /api/runs (app/web/api.py).

Only the presenter starts code runs: the token when one is set (app/web/security.py checks it on every
mutating route), loopback clients otherwise. On a non-loopback bind they are off unless the server was
started with --allow-code, and off on a root server that can bound no program's processes.
"""

from __future__ import annotations

import ipaddress

from fastapi import HTTPException, Request

from app.code.feeder import CodeFeeder
from app.config import Settings, is_loopback
from app.engine.run import Run
from app.web.security import PRESENTER_COOKIE, bearer, cookie, same


def feeder(request: Request) -> CodeFeeder:
    code: CodeFeeder = request.app.state.code
    return code


def why_disabled(settings: Settings, code: CodeFeeder) -> str | None:
    """Why this server takes no code runs, or None: a non-loopback bind without --allow-code, or no
    process limit to be had (a root server that can make no pids cgroup)."""
    if not is_loopback(settings.host) and not settings.allow_code:
        return (
            f"code runs are off: this server is bound to {settings.host}, which is not a loopback "
            "address; start it with `mpscope serve --allow-code` to allow them"
        )
    return code.unavailable()


def why_not_presenter(request: Request) -> str | None:
    """Why this request is not the presenter's, or None when it is: with a token set, it must carry it
    (the guard refuses a mutating request without it; this answers a GET, for the page); with none, it
    must come from a loopback address."""
    settings: Settings = request.app.state.settings
    if settings.token is not None:
        headers = dict(request.headers)
        given = bearer(headers) or cookie(headers, PRESENTER_COOKIE)
        if same(given, settings.token):
            return None
        return "only the presenter may start a code run: this browser has not opened the presenter's link"
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        return None
    return (
        f"only the presenter may start a code run: with no token set, that is a client on this "
        f"machine (a loopback address), not {host or 'unknown'}"
    )


def require_presenter(request: Request) -> None:
    """403 unless this request may start a code run (the token itself was checked by the guard)."""
    settings: Settings = request.app.state.settings
    reason = why_disabled(settings, feeder(request))
    if reason is not None:
        raise HTTPException(403, reason)
    if settings.token is None:
        why = why_not_presenter(request)
        if why is not None:
            raise HTTPException(403, why)


async def start_code(request: Request, source: str, start_method: str | None, args: list[str]) -> Run:
    require_presenter(request)
    return await feeder(request).start(source, start_method, args)
