"""Routes of presenter follow: /api/present/... (the presenter's), /api/follow/... and /join/{code} (the
audience's), and the two WebSockets, /ws/present/{code} and /ws/follow/{code}. Thin handlers over
app/presenter/sessions.py.

The presenter's routes are mutating, so with a presenter token GuardMiddleware demands it; each also
needs the session's own key (`X-Presenter-Key`, returned when it is created). A poll answer is the one
write an audience may make (AUDIENCE_WRITES: GuardMiddleware lets it through with the viewer token,
Origin still checked, body capped at 1 KiB).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from app.config import is_loopback
from app.presenter.sessions import (
    BIG,
    PollRefused,
    PollRequest,
    Presenters,
    Session,
    TooMany,
    UnknownSession,
    View,
    WrongKey,
)
from app.web.api import GUARDED, Problem, ValidationProblem
from app.web.hub import Hub
from app.web.pages import dashboard
from app.web.security import WILDCARDS, interface_addresses
from app.web.ws import CLOSE_TRY_AGAIN, CLOSE_UNKNOWN_RUN, client_encoding, pump

AUDIENCE_WRITES = re.compile(r"/api/follow/[^/]{1,32}/answer")
CLOSE_WRONG_KEY = 4403

router = APIRouter()
Key = Annotated[str | None, Header(alias="X-Presenter-Key", max_length=64)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "no such presentation"}}
BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body is not JSON"},
    413: {"model": Problem, "description": "request body over the limit"},
}
PRESENTER: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    **GUARDED,
    **BAD_BODY,
    403: {"model": Problem, "description": "wrong token or presenter key, or a foreign Origin"},
    422: {"model": ValidationProblem, "description": "each error names the field and its bound"},
}


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    poll: int = Field(ge=1, le=10**9, description="the poll's id, as the audience was shown it")
    client: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$", description="the answering browser's random id")
    answer: float = Field(ge=-BIG, le=BIG, description="a number, or the index of a choice")


class Close(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    answer: float | None = Field(None, ge=-BIG, le=BIG, description="the right answer, shown with the tally")


def presenters(request: Request) -> Presenters:
    return request.app.state.presenters  # type: ignore[no-any-return]


def session(request: Request, code: str, key: str | None = None, owned: bool = False) -> Session:
    """The session `code` (404), and with owned=True only for its presenter's key (403)."""
    try:
        p = presenters(request)
        return p.owned(code, key) if owned else p.get(code)
    except UnknownSession as exc:
        raise HTTPException(404, str(exc)) from None
    except WrongKey as exc:
        raise HTTPException(403, str(exc)) from None


def join_base(request: Request) -> str:
    """Where the audience reaches this server: the presenter's own address, unless that is a loopback
    name while the server listens on the network (then this machine's first LAN address)."""
    settings = request.app.state.settings
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if is_loopback(name.strip("[]")) and not is_loopback(settings.host):
        lan = settings.host
        if settings.host in WILDCARDS:
            lan = next((a for a in sorted(interface_addresses()) if ":" not in a and not is_loopback(a)), "")
        if lan:
            host = f"[{lan}]:{settings.port}" if ":" in lan else f"{lan}:{settings.port}"
    return f"{request.url.scheme}://{host}"


@router.post("/api/present", status_code=201, responses=PRESENTER)
async def create(request: Request) -> dict[str, Any]:
    """Start presenting: a join code for the audience and a key for the presenter's own requests."""
    s = presenters(request).create()
    settings = request.app.state.settings
    # With a viewer token, the join link carries it (only a presenter gets here: the route is guarded).
    view = f"?view={settings.viewer_token}" if settings.viewer_token and settings.token else ""
    return {"code": s.code, "key": s.key, "join_url": f"{join_base(request)}/join/{s.code}{view}"}


@router.delete("/api/present/{code}", status_code=204, responses=PRESENTER)
async def end(request: Request, code: str, key: Key = None) -> Response:
    """Stop presenting: every follower's stream ends."""
    presenters(request).end(session(request, code, key, owned=True).code)
    return Response(status_code=204)


@router.post("/api/present/{code}/view", status_code=204, responses=PRESENTER)
async def show(request: Request, code: str, view: View, key: Key = None) -> Response:
    """What the presenter shows now; the audience follows it."""
    presenters(request).show(session(request, code, key, owned=True), view)
    return Response(status_code=204)


@router.post("/api/present/{code}/poll", status_code=201, responses=PRESENTER)
async def open_poll(request: Request, code: str, body: PollRequest, key: Key = None) -> dict[str, Any]:
    """Ask the audience a question (it replaces any earlier poll); answers are tallied live."""
    s = session(request, code, key, owned=True)
    return presenters(request).open_poll(s, body).to_dict(with_tally=True)


@router.post("/api/present/{code}/poll/close", responses={**PRESENTER, 409: {"model": Problem}})
async def close_poll(request: Request, code: str, body: Close, key: Key = None) -> dict[str, Any]:
    """No more answers; the tally (and the right answer, when given) is shown to the audience too."""
    s = session(request, code, key, owned=True)
    try:
        return presenters(request).close_poll(s, body.answer).to_dict(with_tally=True)
    except PollRefused as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/api/follow/{code}", responses=NOT_FOUND)
async def state(request: Request, code: str) -> dict[str, Any]:
    """What the audience sees now (a poll's tally only once it is closed)."""
    s = session(request, code)
    return {"code": s.code, "view": s.view, "poll": s.poll and s.poll.to_dict(False)}


@router.post(
    "/api/follow/{code}/answer",
    responses={
        **NOT_FOUND,
        **BAD_BODY,
        403: {"model": Problem, "description": "a foreign Origin"},
        409: {"model": Problem, "description": "no open poll with that id, or a choice out of range"},
        413: {"model": Problem, "description": "body over 1 KiB"},
        422: {"model": ValidationProblem, "description": "each error names the field and its bound"},
        429: {"model": Problem, "description": "too many answers: from this address, or to this poll"},
    },
)
async def answer(request: Request, code: str, body: Answer) -> dict[str, Any]:
    """An audience member's answer to the open poll; a second one from the same client replaces it."""
    s = session(request, code)
    address = request.client.host if request.client else ""
    try:
        poll = presenters(request).answer(s, body.poll, body.client, body.answer, address)
    except PollRefused as exc:
        raise HTTPException(409, str(exc)) from None
    except TooMany as exc:
        raise HTTPException(429, str(exc)) from None
    return {"poll": poll.id, "count": len(poll.answers)}


@router.get("/join/{code}", response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, code: str) -> HTMLResponse:
    """The dashboard in follow mode (an unknown code: 404, so a typo is told at once)."""
    return dashboard(request, follow=session(request, code).code)


@router.websocket("/ws/follow/{code}")
async def follow(ws: WebSocket, code: str) -> None:
    await _stream(ws, code, None)


@router.websocket("/ws/present/{code}")
async def present(ws: WebSocket, code: str, key: str = "") -> None:
    """The presenter's stream: the same frames as the audience's, with the poll's tally live."""
    await _stream(ws, code, key)


async def _stream(ws: WebSocket, code: str, key: str | None) -> None:
    p: Presenters = ws.app.state.presenters
    hub: Hub = ws.app.state.hub
    limits = ws.app.state.settings.limits
    await ws.accept()
    encoding = await client_encoding(ws)
    if encoding is None:
        return
    try:
        s = p.get(code) if key is None else p.owned(code, key)
    except UnknownSession as exc:
        await ws.close(CLOSE_UNKNOWN_RUN, reason=str(exc))
        return
    except WrongKey as exc:
        await ws.close(CLOSE_WRONG_KEY, reason=str(exc))
        return
    if hub.client_count + p.client_count >= limits.max_ws_clients:
        await ws.close(CLOSE_TRY_AGAIN, reason=f"limit of {limits.max_ws_clients} viewers reached")
        return
    sub = p.follow(s, key is not None, limits.client_buffer_bytes, encoding)
    try:
        await pump(ws, sub, [])
    finally:
        p.unfollow(s, sub)
