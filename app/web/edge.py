"""`mpscope edge`: a read-only server that serves the pages, the read APIs and every WebSocket from the
broker (app/broker/mirror.py), so an audience of thousands can be spread over processes and hosts while
runs start only at the origin (`mpscope serve --broker`).

The origin's own routes are reused: app.state.engine.book is an EdgeBook, which answers what the routes
read. A few routes come first here: those that must wait until a run is read from the broker, health
(which says whether the broker and the origin are up) and a presentation's state. Every mutating request
answers 405 and the presenter's WebSocket is refused: an edge changes nothing (docs/scale.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app import __version__
from app.assets import asset_dir
from app.broker.mirror import CATCH_UP_WAIT_S, Mirror
from app.broker.runs import EdgeBook
from app.broker.sessions import MirroredSession, MirroredSessions
from app.config import Settings
from app.errors import UnknownRun, UnknownScenario
from app.lesson.scenario import Scenario
from app.presenter.sessions import Presenters
from app.scenarios import REGISTRY
from app.web import api, pages, presenter_api, ws
from app.web.hub import Hub
from app.web.security import SAFE_METHODS, GuardMiddleware, allowed_hosts, refuse
from app.web.static import RevalidatedStaticFiles

CLOSE_READ_ONLY = 4405
READ_ONLY = "this is an mpscope edge, which only shows runs: start, stop and change them on the origin server"


class Catalog:
    """The scenarios, as the origin's launcher lists them (the same code ships on both)."""

    def __init__(self) -> None:
        self.registry = REGISTRY

    def scenario(self, scenario_id: str) -> Scenario[Any]:
        try:
            return self.registry[scenario_id]
        except KeyError:
            raise UnknownScenario(f"no scenario with id {scenario_id!r}") from None


class EdgeEngine:
    def __init__(self, book: EdgeBook) -> None:
        self.book = book
        self.scenarios = Catalog()


class ReadOnlyMiddleware:
    """405 for every request that would change something; the presenter's WebSocket is refused."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            body = JSONResponse({"detail": READ_ONLY}, status_code=405, headers={"Allow": "GET, HEAD"})
            await body(scope, receive, send)
            return
        if scope["type"] == "websocket" and scope["path"].startswith("/ws/present/"):
            await refuse(scope, send, 403, READ_ONLY)
            return
        await self.app(scope, receive, send)


router = APIRouter()


def mirror(request: Request | WebSocket) -> Mirror:
    return request.app.state.mirror  # type: ignore[no-any-return]


@router.get("/api/health")
async def health(request: Request) -> dict[str, Any]:
    """The origin's health answer, plus what an edge knows: is the broker reachable, is the origin up."""
    m = mirror(request)
    origin = m.origin
    return {
        **await api.health(request),
        "role": "edge",
        "broker": "up" if m.broker_up else "down",
        "origin": "unknown" if not m.broker_up else ("up" if origin else "down"),
        "origin_url": origin.get("url") if origin else None,
        "gaps": m.gaps,
    }


async def loaded(request: Request | WebSocket, run_id: str) -> None:
    run = await mirror(request).ensure_loaded(run_id)
    if run is None:
        raise UnknownRun(f"no run with id {run_id!r}")
    if run.expired:
        raise HTTPException(410, f"the events of run {run_id} have expired from the broker (docs/scale.md)")


@router.get("/api/runs/{run_id}/events", response_class=Response)
async def get_events(request: Request, run_id: str, after: int = Query(-1, ge=-1)) -> Response:
    await loaded(request, run_id)
    return await api.get_events(request, run_id, after)


@router.get("/api/runs/{run_id}/export", response_class=Response)
async def export_run(
    request: Request, run_id: str, format: Literal["perfetto", "ndjson", "html"] = Query()
) -> Response:
    await loaded(request, run_id)
    return await api.export_run(request, run_id, format)


@router.get("/api/follow/{code}")
async def follow_state(request: Request, code: str) -> dict[str, Any]:
    session = presenter_api.session(request, code)
    return session.state() if isinstance(session, MirroredSession) else {"code": code}


@router.websocket("/ws/runs/{run_id}")
async def run_stream(websocket: WebSocket, run_id: str, after: int = -1) -> None:
    run = await mirror(websocket).ensure_loaded(run_id)
    if run is not None and run.expired:
        await websocket.accept()
        reason = f"the events of run {run_id} have expired from the broker"
        await websocket.close(ws.CLOSE_UNKNOWN_RUN, reason=reason)
        return
    if run is not None and after >= 0:
        await framed(websocket.app.state.hub, run_id, after + 1)
    await ws.run_stream(websocket, run_id, after)


async def framed(hub: Hub, run_id: str, count: int) -> None:
    """Wait (a tick at a time, CATCH_UP_WAIT_S at most) until this edge's hub has framed `count` events
    of the run. A viewer coming from another edge with ?after=SEQ may be ahead of this one; subscribed
    now, it would be sent the frames from where this hub is, SEQ and before among them: repeats."""
    deadline = time.monotonic() + CATCH_UP_WAIT_S
    while time.monotonic() < deadline:
        topic = hub.topics.get(run_id)
        if topic is None or topic.sent >= count:
            return
        await asyncio.sleep(hub.tick_seconds)


def create_edge_app(settings: Settings, broker_url: str) -> FastAPI:
    hub = Hub(settings.tick_seconds, settings.limits.client_buffer_bytes)
    book = EdgeBook(settings.limits)
    presenters = Presenters()
    edge = Mirror(broker_url, book, hub, MirroredSessions(presenters))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        edge.start()
        yield
        await edge.close()
        hub.close()
        presenters.close()

    app = FastAPI(title="mpscope edge", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.hub = hub
    app.state.engine = EdgeEngine(book)
    app.state.presenters = presenters
    app.state.mirror = edge
    app.include_router(router)  # first: these answer before the origin's routes of the same path
    app.include_router(api.router)
    app.include_router(ws.router)
    app.include_router(presenter_api.router)
    app.include_router(pages.router)
    app.mount("/static", RevalidatedStaticFiles(directory=str(asset_dir("static"))), name="static")
    app.add_middleware(ReadOnlyMiddleware)
    app.add_middleware(
        GuardMiddleware,
        hosts=allowed_hosts(settings.host, settings.port, settings.allow_hosts),
        token=settings.token,
        viewer_token=settings.viewer_token,
        max_body_bytes=settings.limits.max_body_bytes,
    )

    @app.exception_handler(UnknownScenario)
    @app.exception_handler(UnknownRun)
    async def not_found(request: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc.args[0])}, status_code=404)

    return app
