"""/static is revalidated on every load, so an upgrade never runs a mix of old and new modules."""

from __future__ import annotations

import httpx

from tests.helpers import LiveServer


def test_static_modules_are_revalidated_not_cached_blindly(live_server: LiveServer) -> None:
    first = httpx.get(f"{live_server.url}/static/js/main.js", timeout=10)
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    again = httpx.get(f"{live_server.url}/static/js/main.js", headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304  # unchanged: revalidation costs no body
