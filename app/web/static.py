"""/static with `Cache-Control: no-cache`: a browser revalidates every module (a cheap 304 when it is
unchanged), so after an upgrade a page never runs a mix of old and new ES modules."""

from __future__ import annotations

from typing import Any

from fastapi.staticfiles import StaticFiles
from starlette.responses import Response


class RevalidatedStaticFiles(StaticFiles):
    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response
