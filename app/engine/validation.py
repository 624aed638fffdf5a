"""Validating a request to start a run: its start method, its parameters (bounded fields, unknown
fields refused) and the number of processes they need, each refusal naming the field and its limit."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from app.config import START_METHODS
from app.errors import InvalidRequest
from app.lesson.scenario import P, Scenario


def validate_request(
    scenario: Scenario[P], params: dict[str, Any], method: str, max_processes: int
) -> tuple[P, str]:
    """The scenario's params model and the start method, or InvalidRequest in FastAPI's 422 shape."""
    if method not in START_METHODS:
        raise InvalidRequest(
            [
                {
                    "loc": ["body", "start_method"],
                    "msg": f"must be one of {', '.join(START_METHODS)}",
                    "type": "enum",
                }
            ]
        )
    try:
        model = scenario.Params(**params)
    except ValidationError as exc:
        raise InvalidRequest(
            [{"loc": ["body", "params", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        ) from None
    count, limit = scenario.processes(model), max_processes
    if count > limit:
        raise InvalidRequest(
            [
                {
                    "loc": ["body", "params"],
                    "type": "limit",
                    "msg": f"these parameters need {count} processes; the limit is {limit} per run",
                }
            ]
        )
    return model, method
