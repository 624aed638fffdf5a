"""What a request to the run manager can be refused for; the routes turn each into its HTTP status."""

from __future__ import annotations

from typing import Any


class UnknownScenario(LookupError):
    pass


class UnknownRun(LookupError):
    pass


class InvalidRequest(ValueError):
    """Bad parameters: `errors` lists {"loc", "msg", "type"} items, as FastAPI's 422 does."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


class LimitExceeded(RuntimeError):
    pass


class RunActive(RuntimeError):
    """The request needs a finished run (e.g. deleting one): 409."""


class RunNotActive(RuntimeError):
    """The request needs a live run (e.g. pausing one): 409."""


__all__ = ["InvalidRequest", "LimitExceeded", "RunActive", "RunNotActive", "UnknownRun", "UnknownScenario"]
