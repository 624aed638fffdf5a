"""A run page that falls behind survives: the server drops it (1013), it reconnects by itself with
?after=<its last seq> and ends with every event of the run, each once, in a real headless Chromium.

The page is made to fall behind by blocking its main thread (what a slow laptop drawing a busy timeline
does) until the server has dropped it. DevTools network throttling (Network.emulateNetworkConditions)
would be the other way, but Chromium does not apply it to WebSocket frames. The block is bounded by the
drop itself, polled with synchronous requests from the blocked page, not by a sleep: the server keeps a
small per-viewer buffer (--client-buffer), and /api/stats counts its viewers (this page's lobby and run
stream: 2 until the run stream is dropped).

Hooks: data-stream-* on #page-run (static/js/main.js: events, last-seq, reconnects, duplicates, gaps,
ended, state), data-status and data-events on #run-header, data-events and data-ended on the timeline.
The page's CSP refuses wait_for_function, so values are polled.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LiveServer, start_server, stop_server
from tests.helpers import chromium as launch_chromium

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent.parent / "artifacts"
CLIENT_BUFFER = 256 * 1024  # bytes the server buffers per viewer; the lobby sends a few KB a second
PARAMS = {"processes": 2, "events": 150_000, "rate": 10_000}  # 300,011 events (42 MB), 15 s at least:
# far longer than a stalled page takes to be dropped, however fast the machine (~2-3 s)
HANG_GUARD = 120  # seconds: over 10x what the run and the page's catching up take on a loaded machine

# Runs in the page, blocking its main thread: nothing reads the WebSocket until the server has dropped
# the run stream (viewers below 2) or the run has ended. Returns the last stats and the polls made.
BLOCK_UNTIL_DROPPED = """(maxPolls) => {
  let stats = null, polls = 0;
  while (polls < maxPolls) {
    const xhr = new XMLHttpRequest();
    xhr.open("GET", "/api/stats", false);
    xhr.send();
    stats = JSON.parse(xhr.responseText);
    polls++;
    if (stats.viewers < 2 || stats.active_runs === 0) break;
  }
  return { stats, polls };
}"""

# Records every text the run header's note shows from now on.
WATCH_NOTE = """() => {
  window.__notes = [];
  const note = document.querySelector("#run-header .rh-message");
  new MutationObserver(() => {
    if (!note.hidden && note.textContent) window.__notes.push(note.textContent);
  }).observe(note, { childList: true, characterData: true, subtree: true, attributes: true });
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    method = os.environ.get("MPSCOPE_TEST_START_METHOD", "forkserver")
    live = start_server(
        tmp_path_factory.mktemp("reconnect"), "--start-method", method, "--client-buffer", str(CLIENT_BUFFER)
    )
    yield live
    stop_server(live)


@pytest.fixture
def page() -> Iterator[Any]:
    with launch_chromium() as chromium:  # a missing Chromium fails in CI (tests/helpers.py)
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: errors.append(f"console.error: {m.text}") if m.type == "error" else None)
        yield page
        assert errors == []


def api(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{base}{path}", data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def hooks(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => ({
              stream: { ...document.getElementById("page-run").dataset },
              header: { ...document.getElementById("run-header").dataset },
              timeline: { ...document.getElementById("timeline").dataset },
            })"""
        )
    )


def test_a_page_dropped_for_falling_behind_reconnects_and_ends_with_every_event(
    server: LiveServer, page: Any
) -> None:
    run = api(server.url, "/api/runs", {"scenario": "firehose", "params": PARAMS})
    page.goto(f"{server.url}/runs/{run['id']}")
    # Connected and reading (the run is under way): the stall below starts from there. A page this
    # busy loading may be dropped and back once already; that is fine too.
    page.wait_for_selector(
        "#page-run[data-stream-state=open]:not([data-stream-events='0'])", timeout=HANG_GUARD * 1000
    )
    page.evaluate(WATCH_NOTE)

    blocked = page.evaluate(BLOCK_UNTIL_DROPPED, 100_000)
    assert blocked["stats"]["viewers"] < 2, f"the page was never dropped: {blocked}"
    assert blocked["stats"]["active_runs"] == 1, "dropped while the run went on"

    ARTIFACTS.mkdir(exist_ok=True)
    shot = False
    deadline = time.monotonic() + HANG_GUARD
    while True:
        assert time.monotonic() < deadline, f"hang guard: the page did not finish: {hooks(page)}"
        h = hooks(page)
        if not shot and h["stream"].get("streamState") in ("waiting", "resuming"):
            page.screenshot(path=str(ARTIFACTS / "reconnect-catching-up.png"))
            shot = True
        if h["stream"].get("streamEnded") == "true" and h["timeline"].get("ended") == "true":
            break
        time.sleep(0.2)

    final = api(server.url, f"/api/runs/{run['id']}")
    count = final["event_count"]
    assert final["status"] == "succeeded" and count == 2 * PARAMS["events"] + 11
    page.wait_for_selector(f"#timeline[data-events='{count}']", timeout=HANG_GUARD * 1000)
    page.wait_for_selector("#run-header[data-status=succeeded]")
    h = hooks(page)
    stream = h["stream"]
    print(f"page: {stream['streamEvents']} events, {stream['streamReconnects']} reconnect(s)")  # -s / -rP
    assert int(stream["streamReconnects"]) >= 1, stream
    assert int(stream["streamEvents"]) == count, stream  # each seq handed to the views once
    assert int(stream["streamLastSeq"]) == count - 1, stream
    assert stream["streamGaps"] == "0" and stream["streamDuplicates"] == "0", stream
    assert h["header"]["events"] == str(count) and h["timeline"]["events"] == str(count), h
    notes = page.evaluate("() => window.__notes")
    assert "Connection lost, reconnecting…" in notes, notes
    assert page.locator("#run-header .rh-message").is_hidden(), "the note goes once the page caught up"
    page.screenshot(path=str(ARTIFACTS / "reconnect.png"))
