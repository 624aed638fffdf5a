"""The application factory: wires settings, hub, run manager, routes and guards together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app import __version__
from app.assets import asset_dir
from app.broker.publisher import BrokerPublisher
from app.code.feeder import CodeFeeder
from app.config import Settings
from app.engine.engine import Engine
from app.engine.launcher import warm_up
from app.engine.reaper import Reaper
from app.errors import InvalidRequest, LimitExceeded, RunActive, RunNotActive, UnknownRun, UnknownScenario
from app.export.formats import ImportProblem
from app.presenter.sessions import Presenters
from app.storage.history import History
from app.web import api, code_api, pages, presenter_api, trace_api, ws
from app.web.hub import Hub
from app.web.security import GuardMiddleware, allowed_hosts
from app.web.static import RevalidatedStaticFiles

CODE_BODY_BYTES = 8 * 64 * 1024  # a 64 KiB source, however its JSON escapes it: the source is checked itself


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    hub = Hub(settings.tick_seconds, settings.limits.client_buffer_bytes)
    reaper = Reaper()
    history = History(settings.data_dir) if settings.data_dir is not None else None
    presenters = Presenters()
    broker = None
    if settings.broker:
        broker = BrokerPublisher(
            hub, settings.broker, settings.broker_keep_seconds, settings.limits.max_events_per_run
        )
    engine = Engine(settings, broker or hub, reaper=reaper, history=history)
    code = CodeFeeder(engine.book, settings, reaper)
    if broker is not None:
        broker.book = engine.book
        broker.sessions = lambda: [(c, s.frame(False).text) for c, s in presenters.sessions.items()]
        broker.origin_url = f"http://{settings.host}:{settings.port}"
        presenters.on_frame = broker.publish_view

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reaper.start()
        warm_up()
        if broker is not None:
            broker.start()
        yield
        await code.shutdown()
        await engine.shutdown()
        if history is not None:
            await asyncio.to_thread(history.close)  # commits what is queued
        if broker is not None:
            await broker.close()  # the runs' ends reach the edges; then the origin is down for them
        reaper.stop()
        hub.close()
        presenters.close()

    app = FastAPI(title="mpscope", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.hub = hub
    app.state.engine = engine
    app.state.code = code
    app.state.presenters = presenters
    app.state.broker = broker
    app.include_router(api.router)
    app.include_router(ws.router)
    app.include_router(presenter_api.router)
    app.include_router(trace_api.router)
    app.include_router(code_api.router)
    app.include_router(pages.router)
    app.mount("/static", RevalidatedStaticFiles(directory=str(asset_dir("static"))), name="static")
    app.add_middleware(
        GuardMiddleware,
        hosts=allowed_hosts(settings.host, settings.port, settings.allow_hosts),
        token=settings.token,
        viewer_token=settings.viewer_token,
        max_body_bytes=settings.limits.max_body_bytes,
        body_limits={
            "/api/runs/import": settings.limits.max_import_bytes,
            "/api/traces/*/events": trace_api.MAX_BATCH_BYTES,
            "/api/runs": CODE_BODY_BYTES,
        },
        audience_writes=presenter_api.AUDIENCE_WRITES,
    )

    @app.exception_handler(UnknownScenario)
    @app.exception_handler(UnknownRun)
    async def not_found(request: Request, exc: LookupError) -> JSONResponse:
        return JSONResponse({"detail": str(exc.args[0])}, status_code=404)

    @app.exception_handler(InvalidRequest)
    async def invalid(request: Request, exc: InvalidRequest) -> JSONResponse:
        return JSONResponse({"detail": exc.errors}, status_code=422)

    @app.exception_handler(ImportProblem)
    async def bad_import(request: Request, exc: ImportProblem) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RunActive)
    @app.exception_handler(RunNotActive)
    async def conflict(request: Request, exc: RuntimeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(LimitExceeded)
    async def over_limit(request: Request, exc: LimitExceeded) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=429)

    return app
