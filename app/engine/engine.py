"""The engine assembled: one book of runs and its feeders, as the server and the tests use them."""

from __future__ import annotations

from typing import Any

from app.config import Settings
from app.engine.book import RunBook
from app.engine.launcher import ScenarioLauncher
from app.engine.ports import Publisher
from app.engine.reaper import Reaper
from app.engine.run import Run
from app.engine.traces import TraceFeeder
from app.lesson.scenario import Scenario
from app.storage.history import History


class Engine:
    def __init__(
        self,
        settings: Settings,
        publisher: Publisher,
        registry: dict[str, Scenario[Any]] | None = None,
        reaper: Reaper | None = None,
        history: History | None = None,
    ) -> None:
        self.book = RunBook(settings.limits, publisher, history)
        self.scenarios = ScenarioLauncher(self.book, settings, registry, reaper)
        self.traces = TraceFeeder(self.book)

    async def start(
        self,
        scenario_id: str,
        params: dict[str, Any],
        start_method: str | None = None,
        seed: int | None = None,
    ) -> Run:
        """Launch a scenario run (the most common feeder, so the shortest name)."""
        return await self.scenarios.start(scenario_id, params, start_method, seed)

    async def shutdown(self) -> None:
        """Every live run ends: traces at once (cancelled), launched runs once their processes are reaped."""
        self.traces.shutdown()
        await self.scenarios.shutdown()
