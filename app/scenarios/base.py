"""The scenario plugin interface: one lesson, its parameters and the code that runs it."""

from __future__ import annotations

import inspect
import sys
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from app.runtime import RunContext


class Params(BaseModel):
    """Base of every scenario's parameter model: bounded fields, unknown fields refused."""

    model_config = ConfigDict(extra="forbid")


class Scenario(ABC):
    id: ClassVar[str]
    title: ClassVar[str]
    concepts: ClassVar[tuple[str, ...]]
    explanation: ClassVar[dict[str, str]]  # {"en": ..., "zh": ...}
    Params: ClassVar[type[Params]]
    presets: ClassVar[dict[str, dict[str, Any]]] = {}

    def processes(self, params: Any) -> int:
        """How many processes a run with these params creates, its main process included."""
        return 1

    @abstractmethod
    def run(self, ctx: RunContext, params: Any) -> dict[str, Any]:
        """Runs in the run's main process; returns the result (a JSON object)."""

    def source(self) -> str:
        return inspect.getsource(sys.modules[type(self).__module__])

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "concepts": list(self.concepts),
            "explanation": dict(self.explanation),
            "params": self.Params.model_json_schema(),
            "defaults": self.Params().model_dump(),
            "presets": self.presets,
        }
