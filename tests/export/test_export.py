"""Export and import: Chrome trace JSON checked against the Trace Event Format, the NDJSON round trip and
its refusals, the CLI, and the offline page replaying in Chromium with the network off."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from app import jsonio
from app.engine.engine import Engine
from app.engine.run import RunStatus
from app.export.formats import from_ndjson, to_html, to_perfetto
from tests.helpers import (
    ARTIFACTS,
    Browser,
    LiveServer,
    chromium,
    events,
    finished,
    post_run,
    wait_finished,
    wait_until,
    with_manager,
)

RACE = {"workers": 3, "increments": 200, "use_lock": True}
RUNS = {
    "race": RACE,
    "queue": {"producers": 2, "consumers": 2, "items": 6, "maxsize": 2, "produce_ms": 0, "consume_ms": 2},
    "pool": {"processes": 2, "n": 4, "sleep_ms": 0},
}

# The Trace Event Format (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU),
# as far as mpscope writes it: the JSON object form, and the phases it uses with their required fields.
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ph", "ts", "pid", "tid", "name"],
    "properties": {
        "ph": {"enum": ["X", "B", "E", "i", "I", "C", "M"]},
        "ts": {"type": "number", "minimum": 0},
        "pid": {"type": "integer"},
        "tid": {"type": "integer"},
        "name": {"type": "string", "minLength": 1},
        "cat": {"type": "string"},
        "args": {"type": "object"},
        "dur": {"type": "number", "minimum": 0},
        "s": {"enum": ["g", "p", "t"]},
    },
    "allOf": [
        {"if": {"properties": {"ph": {"const": "X"}}}, "then": {"required": ["dur"]}},
        {
            "if": {"properties": {"ph": {"const": "C"}}},
            "then": {
                "required": ["args"],
                "properties": {
                    "args": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "number"}}
                },
            },
        },
        {
            "if": {"properties": {"ph": {"const": "M"}}},
            "then": {
                "required": ["args"],
                "properties": {
                    "name": {
                        "enum": ["process_name", "thread_name", "process_sort_index", "thread_sort_index"]
                    }
                },
            },
        },
        {"if": {"properties": {"ph": {"enum": ["i", "I"]}}}, "then": {"required": ["s"]}},
    ],
}
TRACE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["traceEvents"],
    "properties": {
        "traceEvents": {"type": "array", "minItems": 1, "items": EVENT_SCHEMA},
        "displayTimeUnit": {"enum": ["ms", "ns"]},
        "metadata": {"type": "object"},
    },
}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """One finished run of each: race (with a Lock), queue, pool; as (run object, events)."""

    async def body(m: Engine) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
        out = {}
        for scenario, params in RUNS.items():
            run = await finished(await m.start(scenario, params))
            assert run.status == RunStatus.SUCCEEDED, run.error
            out[scenario] = (run.to_dict(), events(run))
        return out

    return with_manager(body)


def lanes_of(evs: list[dict[str, Any]]) -> set[tuple[int, str]]:
    return {(e["pid"], e["proc"]) for e in evs}


def by_ph(trace: dict[str, Any], ph: str, cat: str | None = None) -> list[dict[str, Any]]:
    return [e for e in trace["traceEvents"] if e["ph"] == ph and (cat is None or e.get("cat") == cat)]


@pytest.mark.parametrize("scenario", RUNS)
def test_perfetto_trace_follows_the_trace_event_format(runs: Any, scenario: str) -> None:
    run, evs = runs[scenario]
    trace = to_perfetto(run, evs)
    jsonschema.validate(trace, TRACE_SCHEMA)
    assert trace["displayTimeUnit"] == "ms" and trace["metadata"]["id"] == run["id"]
    assert jsonio.loads(jsonio.dumps(trace)) == trace  # plain JSON all the way down
    # One track per lane: a thread_name per (pid, proc), each on its own (pid, tid), one lifetime each.
    threads = by_ph(trace, "M")
    named = {(e["pid"], e["args"]["name"]) for e in threads if e["name"] == "thread_name"}
    assert named == lanes_of(evs)
    tracks = {(e["pid"], e["tid"]) for e in threads if e["name"] == "thread_name"}
    assert len(tracks) == len(named)
    assert len(by_ph(trace, "X", "lifetime")) == len(named)
    # Every event is in the trace once: as an instant, or as an end of a slice.
    sliced = {"lock.wait", "lock.acquired", "lock.released", "pool.task.start", "pool.task.end"}
    assert len(by_ph(trace, "i")) == sum(1 for e in evs if e["kind"] not in sliced)
    ts = [e["ts"] for e in trace["traceEvents"] if e["ph"] != "M"]
    assert ts == sorted(ts) and max(ts) == max(e["t"] for e in evs) / 1000  # microseconds


def test_lock_holds_are_slices_that_never_overlap_in_a_lane(runs: Any) -> None:
    _, evs = runs["race"]
    trace = to_perfetto(runs["race"][0], evs)
    holds = [e for e in by_ph(trace, "X", "lock") if e["name"] == "hold lock"]
    waits = [e for e in by_ph(trace, "X", "lock") if e["name"] == "wait lock"]
    assert len(holds) == sum(1 for e in evs if e["kind"] == "lock.acquired") == 3 * 200
    assert len(waits) == sum(1 for e in evs if e["kind"] == "lock.wait")
    for track in {(e["pid"], e["tid"]) for e in holds}:
        mine = sorted((e for e in holds if (e["pid"], e["tid"]) == track), key=lambda e: e["ts"])
        for a, b in zip(mine, mine[1:], strict=False):
            assert a["ts"] + a["dur"] <= b["ts"] + 1e-6, (a, b)
    # With a Lock, no two processes hold it at once either: the holds interleave across lanes.
    spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in holds)
    assert all(s2 >= e1 - 1e-6 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))


def test_queue_depth_is_a_counter(runs: Any) -> None:
    run, evs = runs["queue"]
    counters = by_ph(to_perfetto(run, evs), "C")
    ordered = sorted(evs, key=lambda e: (e["t"], e["seq"]))
    depths = [e["data"]["depth"] for e in ordered if e["kind"] in ("queue.put", "queue.get")]
    assert [c["args"]["depth"] for c in counters] == depths and len(depths) >= 2 * 6 * 2
    assert {c["name"] for c in counters} == {"queue q depth"}


def test_pool_tasks_are_slices(runs: Any) -> None:
    run, evs = runs["pool"]
    tasks = by_ph(to_perfetto(run, evs), "X", "pool")
    assert sorted(e["name"] for e in tasks) == [f"task {n}" for n in range(4)]


def test_offline_html_embeds_events_safely() -> None:
    evil = "</script><script>alert(1)</script><!--"
    evs = [
        {"run": "0badc0de", "seq": 0, "t": 0, "pid": 1, "proc": "mpscope", "kind": "run.start", "data": {}},
        {"run": "0badc0de", "seq": 1, "t": 5, "pid": 2, "proc": evil, "kind": "log", "data": {"msg": evil}},
    ]
    run = {"id": "0badc0de", "scenario": evil, "params": {}, "status": "succeeded", "start_method": "fork"}
    page = to_html(run, evs)
    assert "alert(1)</script>" not in page and page.count("<script") == 2
    data = page.split('id="mpscope-data">', 1)[1].split("</script>", 1)[0]
    assert jsonio.loads(data)["events"] == evs
    assert "src=" not in page and "href=" not in page  # nothing to fetch


# -- over REST ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def race_run(live_server: LiveServer) -> dict[str, Any]:
    created = post_run(live_server, {"scenario": "race", "params": RACE})
    assert created.status_code == 201, created.text
    run = wait_finished(live_server, created.json()["id"])
    assert run["status"] == "succeeded"
    return run


def export(server: LiveServer, run_id: str, fmt: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/runs/{run_id}/export", params={"format": fmt}, timeout=30)


def post_import(server: LiveServer, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/runs/import",
        content=body,
        headers={"Content-Type": "application/x-ndjson"},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("fmt", "media", "ext"),
    [
        ("perfetto", "application/json", "json"),
        ("ndjson", "application/x-ndjson", "ndjson"),
        ("html", "text/html", "html"),
    ],
)
def test_export_over_rest(
    live_server: LiveServer, race_run: dict[str, Any], fmt: str, media: str, ext: str
) -> None:
    response = export(live_server, race_run["id"], fmt)
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert response.headers["content-disposition"] == f'attachment; filename="mpscope-{race_run["id"]}.{ext}"'
    if fmt == "perfetto":
        jsonschema.validate(response.json(), TRACE_SCHEMA)
    if fmt == "ndjson":
        stored = httpx.get(f"{live_server.url}/api/runs/{race_run['id']}/events").json()
        assert [jsonio.loads(line) for line in response.content.splitlines()] == stored


def test_export_refusals(live_server: LiveServer, race_run: dict[str, Any]) -> None:
    assert export(live_server, "deadbeef", "ndjson").status_code == 404
    bad = export(live_server, race_run["id"], "pdf")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "format"]


def test_ndjson_round_trip(live_server: LiveServer, race_run: dict[str, Any]) -> None:
    ndjson = export(live_server, race_run["id"], "ndjson").content
    response = post_import(live_server, ndjson)
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["id"] != race_run["id"]
    for key in ("scenario", "params", "start_method", "status", "result", "error", "event_count"):
        assert new[key] == race_run[key], key
    assert httpx.get(f"{live_server.url}/api/runs/{new['id']}").json()["status"] == "succeeded"
    before = httpx.get(f"{live_server.url}/api/runs/{race_run['id']}/events").json()
    after = httpx.get(f"{live_server.url}/api/runs/{new['id']}/events").json()
    assert after == [{**e, "run": new["id"]} for e in before]
    assert httpx.get(f"{live_server.url}/runs/{new['id']}").status_code == 200  # its page opens


def _edit(ndjson: bytes, line: int, change: Any) -> bytes:
    """Line `line` (1-based) of the NDJSON, changed: a dict of fields to set, None to drop it, or bytes."""
    lines = ndjson.splitlines()
    if change is None:
        del lines[line - 1]
    elif isinstance(change, bytes):
        lines[line - 1] = change
    else:
        lines[line - 1] = jsonio.dumps({**jsonio.loads(lines[line - 1]), **change})
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize(
    ("line", "change", "message"),
    [
        (3, None, "line 3: seq is 3, expected 2"),
        (2, {"t": "soon"}, "line 2: t must be int, got str"),
        (4, b'{"run": "oops', "line 4: not JSON"),
        (5, {"run": "0000abcd"}, "line 5: run '0000abcd' differs from line 1's"),
        (2, {"extra": 1}, "line 2: missing fields [], unknown fields ['extra']"),
        (-1, None, "the last event must be run.end"),
        (1, {"kind": "log"}, "line 1: the first event must be run.start"),
    ],
)
def test_bad_imports_name_the_line(
    live_server: LiveServer, race_run: dict[str, Any], line: int, change: Any, message: str
) -> None:
    ndjson = export(live_server, race_run["id"], "ndjson").content
    if line == -1:
        line = len(ndjson.splitlines())
    response = post_import(live_server, _edit(ndjson, line, change))
    assert response.status_code == 422 and message in response.json()["detail"], response.text


def test_import_limits(live_server: LiveServer) -> None:
    assert "empty" in post_import(live_server, b"").json()["detail"]
    over = post_import(live_server, b"x" * (64 * 1024 * 1024 + 1))
    assert over.status_code == 413 and "67,108,864 bytes" in over.json()["detail"]
    too_many = b"{}\n" * 1_000_001  # over the default 1,000,000 events per run, under 64 MiB
    assert "the limit is 1,000,000 per run" in post_import(live_server, too_many).json()["detail"]


def test_from_ndjson_refuses_a_run_end_in_the_middle() -> None:
    line = b'{"run":"0badc0de","seq":%d,"t":0,"pid":1,"proc":"mpscope","kind":"%s","data":%s}'
    start = b'{"scenario":"race","params":{},"start_method":"fork"}'
    end = b'{"status":"succeeded"}'
    body = b"\n".join(
        [line % (0, b"run.start", start), line % (1, b"run.end", end), line % (2, b"run.end", end)]
    )
    from app.export.formats import ImportProblem

    with pytest.raises(ImportProblem, match="line 2: run.end in the middle"):
        from_ndjson(body, 10)


# -- command line -------------------------------------------------------------------------------------
def mpscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=60)


def test_cli_export_and_import(live_server: LiveServer, race_run: dict[str, Any], tmp_path: Path) -> None:
    server = ("--server", live_server.url)
    ndjson, trace = tmp_path / "run.ndjson", tmp_path / "run.json"
    done = mpscope("export", race_run["id"], "--format", "ndjson", "-o", str(ndjson), *server)
    assert done.returncode == 0, done.stderr
    assert ndjson.read_bytes() == export(live_server, race_run["id"], "ndjson").content
    done = mpscope("export", race_run["id"], "--format", "perfetto", "-o", str(trace), *server)
    assert done.returncode == 0, done.stderr
    jsonschema.validate(jsonio.loads(trace.read_bytes()), TRACE_SCHEMA)
    done = mpscope("import", str(ndjson), *server)
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith(f"{live_server.url}/runs/")
    new_id = url.rsplit("/", 1)[1]
    assert httpx.get(f"{live_server.url}/api/runs/{new_id}").json()["result"] == race_run["result"]
    missing = mpscope("export", "deadbeef", "-o", str(tmp_path / "x"), *server)
    assert missing.returncode == 1 and "HTTP 404: no run with id 'deadbeef'" in missing.stderr
    ndjson.write_bytes(b"not json\n")
    bad = mpscope("import", str(ndjson), *server)
    assert bad.returncode == 1 and "line 1: not JSON" in bad.stderr


# -- the offline page in Chromium -------------------------------------------------------------------
PLAYBACK_HANG_GUARD_S = 30  # 10x+ the 2.5 s the whole run's playback takes at 4x (10 s at 1x)


@pytest.mark.browser
def test_offline_html_replays_with_the_network_off(
    live_server: LiveServer, race_run: dict[str, Any], tmp_path: Path
) -> None:
    page_file = tmp_path / "run.html"
    page_file.write_bytes(export(live_server, race_run["id"], "html").content)
    stored = httpx.get(f"{live_server.url}/api/runs/{race_run['id']}/events").json()
    lanes = lanes_of([e for e in stored if not e["kind"].startswith("run.")])
    requests: list[str] = []
    blocked: list[str] = []
    with chromium() as launched:
        context = launched.new_context(viewport={"width": 1280, "height": 720})
        context.set_offline(True)
        context.route("**/*", lambda route: block(route, blocked))
        b = Browser(context.new_page())
        b.page.on("request", lambda r: requests.append(r.url))
        b.page.goto(page_file.as_uri())
        wrap = b.page.locator("#lanes")
        assert wrap.get_attribute("data-lanes") == str(len(lanes))
        assert wrap.get_attribute("data-cursor") == "0"
        b.page.click("#step")
        b.page.click("#step")
        assert wrap.get_attribute("data-cursor") == "2"
        assert "#1 " in (b.page.text_content("#detail") or "")  # the second event, in time order
        b.page.select_option("#speed", "1")  # the whole run in 10 s: time to catch it mid-way
        b.page.click("#play")
        b.page.wait_for_selector('#lanes[data-playing="true"]')

        def cursor() -> int:
            return int(wrap.get_attribute("data-cursor") or 0)

        wait_until(lambda: cursor() > 2, PLAYBACK_HANG_GUARD_S, "the playback moves on")
        b.page.click("#play")  # pause mid-way, for the picture
        middle = cursor()
        assert 2 < middle < len(stored), middle
        ARTIFACTS.mkdir(exist_ok=True)
        b.page.screenshot(path=str(ARTIFACTS / "offline-html-time.png"), full_page=True)
        b.page.select_option("#axis", "order")  # every event one step: the burst of work spread out
        assert wrap.get_attribute("data-cursor") == str(middle)
        b.page.screenshot(path=str(ARTIFACTS / "offline-html.png"), full_page=True)
        b.page.select_option("#speed", "4")  # the rest at 4x: 2.5 s at most
        b.page.click("#play")
        done = f'#lanes[data-cursor="{len(stored)}"][data-playing="false"]'
        b.page.wait_for_selector(done, timeout=PLAYBACK_HANG_GUARD_S * 1000)
        b.page.keyboard.press("ArrowLeft")
        assert wrap.get_attribute("data-cursor") == str(len(stored) - 1)
        assert not b.errors, b.errors
    assert not blocked and all(url.startswith(("file:", "data:")) for url in requests), (blocked, requests)


def block(route: Any, blocked: list[str]) -> None:
    """Let the page's own file through; refuse (and remember) anything else it asks for."""
    if route.request.url.startswith("file:"):
        route.continue_()
    else:
        blocked.append(route.request.url)
        route.abort()


@pytest.mark.browser
def test_dashboard_export_menu(live_server: LiveServer, race_run: dict[str, Any]) -> None:
    with chromium() as launched:
        b = Browser(launched.new_page(viewport={"width": 1280, "height": 720}))
        b.page.goto(f"{live_server.url}/runs/{race_run['id']}")
        b.page.wait_for_selector('#run-header[data-status="succeeded"] mp-export-menu:not([hidden])')
        b.page.click("mp-export-menu summary")
        links = b.page.locator("mp-export-menu a")
        hrefs = [links.nth(n).get_attribute("href") for n in range(links.count())]
        assert hrefs == [
            f"/api/runs/{race_run['id']}/export?format={f}" for f in ("perfetto", "ndjson", "html")
        ]
        with b.page.expect_download() as download:
            links.nth(1).click()
        assert download.value.suggested_filename == f"mpscope-{race_run['id']}.ndjson"
        ARTIFACTS.mkdir(exist_ok=True)
        b.page.screenshot(path=str(ARTIFACTS / "export-menu.png"))
        assert not b.errors, b.errors
