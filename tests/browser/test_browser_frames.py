"""Compress once, in a real headless Chromium: the page reads the server's compressed binary frames
(inflated by DecompressionStream, static/js/socket.js) and, in a browser without DecompressionStream,
asks for JSON text (?encoding=json) instead. Either way it ends with every event of a live run, each
once, in order (the data-stream-* hooks of #page-run, static/js/main.js).

What the page received is seen from outside through Playwright's WebSocket events: a binary frame
arrives as bytes, a text frame as str.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, get_json, post_json, wait_finished

pytestmark = pytest.mark.browser

PARAMS = {"processes": 1, "events": 3000, "rate": 1000}  # 3 s at least: the page joins while it goes


def watch_frames(page: Any) -> dict[str, list[bytes | str]]:
    """Every frame each of the page's WebSockets receives, by URL."""
    frames: dict[str, list[bytes | str]] = {}

    def opened(ws: Any) -> None:
        got = frames.setdefault(ws.url, [])
        ws.on("framereceived", lambda payload: got.append(payload))

    page.on("websocket", opened)
    return frames


def follow_a_live_run(
    b: Browser, base: str, shot: str
) -> tuple[dict[str, list[bytes | str]], dict[str, Any]]:
    frames = watch_frames(b.page)
    run = post_json(f"{base}/api/runs", {"scenario": "firehose", "params": PARAMS})
    b.page.goto(f"{base}/runs/{run['id']}")
    b.page.wait_for_selector("#page-run[data-stream-ended=true]", timeout=RUN_TIMEOUT_MS)
    final = get_json(f"{base}/api/runs/{run['id']}")
    assert final["status"] == "succeeded"
    b.page.wait_for_selector(f"#timeline[data-events='{final['event_count']}']", timeout=RUN_TIMEOUT_MS)
    stream = b.page.evaluate("() => ({ ...document.getElementById('page-run').dataset })")
    assert stream["streamEvents"] == str(final["event_count"]), stream  # each seq handed on once
    assert stream["streamLastSeq"] == str(final["event_count"] - 1), stream
    assert stream["streamGaps"] == "0" and stream["streamDuplicates"] == "0", stream
    ARTIFACTS.mkdir(exist_ok=True)
    b.page.screenshot(path=str(ARTIFACTS / shot))
    return frames, final


def of(frames: dict[str, list[bytes | str]], path: str) -> tuple[str, list[bytes | str]]:
    """The one socket the page opened whose path starts with `path`: its URL and frames."""
    [(url, got)] = [(u, f) for u, f in frames.items() if urlsplit(u).path.startswith(path)]
    return url, got


def test_the_page_inflates_frames_compressed_once(live_server: Any, browser: Browser) -> None:
    frames, final = follow_a_live_run(browser, live_server.url, "frames-deflate.png")
    url, got = of(frames, "/ws/runs/")
    assert "encoding=" not in url, "this browser can inflate: it asks for nothing else"
    assert len(got) >= 2 and all(isinstance(f, bytes) for f in got), [type(f) for f in got]
    lobby = [f for u, got in frames.items() if urlsplit(u).path == "/ws" for f in got]
    assert lobby and all(isinstance(f, bytes) for f in lobby), "the lobby's frames: compressed too"
    assert browser.errors == []


# Browsers that cannot inflate raw deflate: none has DecompressionStream; Chromium 80-102 has it
# without the "deflate-raw" format (the constructor throws a TypeError).
OLD_BROWSERS = {
    "no-decompression-stream": "delete globalThis.DecompressionStream;",
    "no-deflate-raw": """{
      const Native = globalThis.DecompressionStream;
      globalThis.DecompressionStream = class extends Native {
        constructor(format) {
          if (format === "deflate-raw") throw new TypeError("Unsupported compression format");
          super(format);
        }
      };
    }""",
}


@pytest.mark.parametrize("old", sorted(OLD_BROWSERS))
def test_a_browser_that_cannot_inflate_reads_json_text(live_server: Any, browser: Browser, old: str) -> None:
    browser.page.add_init_script(OLD_BROWSERS[old])
    frames, final = follow_a_live_run(browser, live_server.url, f"frames-json-{old}.png")
    url, got = of(frames, "/ws/runs/")
    assert "encoding=json" in urlsplit(url).query, url
    assert len(got) >= 2 and all(isinstance(f, str) for f in got), [type(f) for f in got]
    assert browser.errors == []


# In the page: a ReconnectingSocket on a finished run's stream whose onFrame throws on the first frame.
# Resolves with the first seq of every frame handed on and the states, once the socket has closed (or,
# as a hang guard, after 30 s: over 10x what reading a few frames of a finished run takes).
THROWING_VIEW = """async (url) => {
  const { ReconnectingSocket } = await import("/static/js/socket.js");
  return await new Promise((resolve) => {
    const firsts = [], states = [];
    setTimeout(() => resolve({ firsts, states, hangGuard: true }), 30_000);
    new ReconnectingSocket({
      url: () => url,
      onFrame: (frame) => {
        firsts.push(frame[0].seq);
        if (firsts.length === 1) throw new Error("a view that fails on the first frame");
      },
      shouldReconnect: () => false,
      onState: (state) => {
        states.push(state);
        if (state === "closed") resolve({ firsts, states });
      },
    });
  });
}"""


def test_a_view_that_throws_does_not_silence_the_frames_after_it(live_server: Any, browser: Browser) -> None:
    """Frames are inflated asynchronously and handed on through one promise chain: an error in one
    view is reported (as a throwing listener's would be) and the frames after it, and the close, go on."""
    params = {"processes": 1, "events": 12_000, "rate": 0}
    run = post_json(f"{live_server.url}/api/runs", {"scenario": "firehose", "params": params})
    final = wait_finished(live_server, run["id"])
    browser.page.goto(f"{live_server.url}/")
    browser.allow("a view that fails on the first frame")
    url = f"{live_server.ws_url}/ws/runs/{run['id']}?after=-1"
    # Two frames at least: the history comes in chunks of 5,000 events (app/web/ws.py BACKLOG_CHUNK).
    assert final["event_count"] > 5000, final
    got = browser.page.evaluate(THROWING_VIEW, url)
    assert got["firsts"] == list(range(0, final["event_count"], 5000)), got
    assert got["states"][-1] == "closed", got
    assert any("a view that fails on the first frame" in e for e in browser.errors), browser.errors
