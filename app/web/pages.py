"""HTML pages: the dashboard, reachable at /, /scenarios/{id}, /runs/{id} and the Edit and run pages
(/code/new, /code/scenarios/{id}, /code/runs/{id}) so a lecturer can link it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__
from app.assets import templates_env

templates = Jinja2Templates(env=templates_env)
router = APIRouter()


def dashboard(request: Request, scenario_id: str = "", run_id: str = "", follow: str = "") -> HTMLResponse:
    """The dashboard; `follow`: the join code of a presentation it follows (app/web/presenter_api.py)."""
    context = {"scenario_id": scenario_id, "run_id": run_id, "follow": follow, "version": __version__}
    return templates.TemplateResponse(request, "dashboard.html", context)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    return dashboard(request)


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse, include_in_schema=False)
async def scenario_page(request: Request, scenario_id: str) -> HTMLResponse:
    request.app.state.engine.scenarios.scenario(scenario_id)  # 404 for an unknown scenario
    return dashboard(request, scenario_id=scenario_id)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
async def api_docs(request: Request) -> HTMLResponse:
    """OpenAPI documentation from the vendored Swagger UI (FastAPI's default loads it from a CDN)."""
    return templates.TemplateResponse(request, "api_docs.html", {})


@router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
async def run_page(request: Request, run_id: str) -> HTMLResponse:
    # An unknown (or deleted) run still gets the dashboard, which says there is no such run: a reload
    # of a deleted run's page must not end on a bare JSON 404.
    run = request.app.state.engine.book.runs.get(run_id)
    page = dashboard(request, scenario_id=run.scenario if run else "", run_id=run_id)
    if run is None:
        page.status_code = 404
    return page


@router.get("/code/new", response_class=HTMLResponse, include_in_schema=False)
async def code_new_page(request: Request) -> HTMLResponse:
    """The New program page: the editor with the server's template (the page reads it from /api/code)."""
    return dashboard(request)


@router.get("/code/scenarios/{scenario_id}", response_class=HTMLResponse, include_in_schema=False)
async def code_scenario_page(request: Request, scenario_id: str) -> HTMLResponse:
    """A lesson's plain program in the editor (its `program` from /api/scenarios/{id})."""
    request.app.state.engine.scenarios.scenario(scenario_id)  # 404 for an unknown scenario
    return dashboard(request)


@router.get("/code/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
async def code_run_page(request: Request, run_id: str) -> HTMLResponse:
    """A run's own source in the editor (a code run's or a traced program's), to change and run again."""
    page = dashboard(request)
    if request.app.state.engine.book.runs.get(run_id) is None:
        page.status_code = 404  # the page says so too
    return page


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
async def compare_page(request: Request, a: str = "", b: str = "") -> HTMLResponse:
    """Two finished runs on one time axis; the page loads both from /api/runs/{id}/events."""
    context = {"run_a": a, "run_b": b, "version": __version__}
    return templates.TemplateResponse(request, "compare.html", context)
