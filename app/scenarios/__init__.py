"""The scenario registry: every lesson mpscope can run, registered in this one place."""

from __future__ import annotations

from app.scenarios.base import Params, Scenario
from app.scenarios.race import Race

REGISTRY: dict[str, Scenario] = {s.id: s for s in (Race(),)}

__all__ = ["REGISTRY", "Params", "Scenario"]
