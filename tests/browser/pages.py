"""What the layout and accessibility tests share: small runs of every scenario, and a presentation."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from tests.helpers import wait_finished

AXE = next((Path(__file__).parent.parent.parent / "static" / "vendor").glob("axe-core-*/axe.min.js"))

SMALL = {"increments": 200, "events": 300, "items": 4, "messages": 4, "ops": 3, "n": 6, "tasks": 4}
SMALL = {**SMALL, "cpu_n": 50_000, "work_units": 3, "size": 16, "rounds": 2}


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST")
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read()
        return json.loads(text) if text else None


def small_params(scenario: dict[str, Any]) -> dict[str, Any]:
    """The defaults, with counts and slow-motion delays cut down so that the run ends in a second or two."""
    params: dict[str, Any] = {}
    for name, spec in (scenario.get("params", {}).get("properties") or {}).items():
        if spec.get("type") != "integer":
            continue
        value = spec.get("default")
        if name in SMALL:
            value = SMALL[name]
        elif name.endswith("_ms") and isinstance(value, int) and name != "timeout_ms":
            value = min(value, 40)
        lo, hi = spec.get("minimum"), spec.get("maximum")
        if isinstance(value, int):
            value = max(lo, value) if lo is not None else value
            value = min(hi, value) if hi is not None else value
            params[name] = value
    return params


def wait_ended(base: str, run_id: str) -> Any:
    return wait_finished(base, run_id)  # under the shared run hang guard


def present(base: str, run_id: str, poll: bool) -> dict[str, Any]:
    """A presentation showing the run (and an open poll): what a follower's page follows."""
    p = post_json(f"{base}/api/present", {})
    key = {"X-Presenter-Key": p["key"]}
    post_json(f"{base}/api/present/{p['code']}/view", {"path": f"/runs/{run_id}"}, key)
    if poll:
        post_json(f"{base}/api/present/{p['code']}/poll", {"question": "How many updates were lost?"}, key)
    return p


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Inject axe-core and run it. The page's CSP (script-src 'self') refuses an inline copy, so the
    tag loads the vendored file from the app's own /static/ (nothing in the app links to it)."""
    page.add_script_tag(url=f"/static/vendor/{AXE.parent.name}/{AXE.name}")
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:4]}
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
