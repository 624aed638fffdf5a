"""The scenario registry: every lesson mpscope can run, registered in this one place."""

from __future__ import annotations

from importlib import resources
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


NEW_PROGRAM = "new_program"


def program(scenario_id: str) -> str | None:
    """A lesson as a plain, standalone multiprocessing program (programs/<id>_lesson.py: no mpscope
    import, `python file.py` and `mpscope trace file.py` run it; not <id>.py, as queue.py would shadow
    the stdlib's queue), or with NEW_PROGRAM the New program template; None if there is none."""
    if not scenario_id.replace("_", "").isalnum():
        return None
    name = scenario_id if scenario_id == NEW_PROGRAM else f"{scenario_id}_lesson"
    path = resources.files(__name__).joinpath("programs", f"{name}.py")
    return path.read_text(encoding="utf-8") if path.is_file() else None


__all__ = ["NEW_PROGRAM", "REGISTRY", "Params", "Scenario", "program"]
