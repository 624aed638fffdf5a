"""The scenario registry: every lesson mpscope can run, registered in this one place."""

from __future__ import annotations

from typing import Any

from app.lesson.scenario import Params, Scenario
from app.scenarios.deadlock import Deadlock
from app.scenarios.executor import Executor
from app.scenarios.firehose import Firehose
from app.scenarios.gil import Gil
from app.scenarios.manager import ManagerScenario
from app.scenarios.pipe import PipeScenario
from app.scenarios.pool import WorkerPool
from app.scenarios.processes import Processes
from app.scenarios.queue import ProducerConsumer
from app.scenarios.race import Race
from app.scenarios.shared_memory import SharedMemory
from app.scenarios.sync import Sync

REGISTRY: dict[str, Scenario[Any]] = {
    s.id: s
    for s in (
        Race(),
        Firehose(),
        ProducerConsumer(),
        PipeScenario(),
        ManagerScenario(),
        Processes(),
        Gil(),
        Deadlock(),
        Sync(),
        Executor(),
        SharedMemory(),
        WorkerPool(),
    )
}

__all__ = ["REGISTRY", "Params", "Scenario"]
