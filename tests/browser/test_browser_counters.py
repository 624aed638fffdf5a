"""The run page's live counters in a real headless Chromium, with the firehose at 10,000 events/s.

Hooks on `#run-counters` (static/js/components/run-counters.js): data-rate (events/s), data-rate-mode
("live" while the run goes, "average" once it ended), data-dropped, data-viewers, data-emits,
data-emit-us (mean µs per emit). The page's CSP refuses wait_for_function, so live values are polled.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, Browser, chromium, expect

pytestmark = pytest.mark.browser

PARAMS = {"processes": 2, "events": 20000, "rate": 5000}  # 10,000 events/s for 4 s


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as launched:
        b = Browser(launched.new_page(viewport={"width": 1280, "height": 800}))
        yield b.page
        assert b.errors == []


def counters(page: Any) -> dict[str, str]:
    return dict(page.evaluate("() => ({ ...document.getElementById('run-counters').dataset })"))


LIVE_HANG_GUARD_S = 60  # 15x the run's 4 s: the counters reach "average" (the run's end) well before


def test_counters_show_rate_drops_viewers_and_overhead(live_server: Any, page: Any) -> None:
    # The run is started from its scenario page, already loaded: it is live from its first event on,
    # however long a busy machine took to load the page (a run started first could be over by then).
    page.goto(f"{live_server.url}/scenarios/firehose")
    for name, value in PARAMS.items():
        page.locator(f"#param-{name}").fill(str(value))
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    strip = page.locator("#run-counters")

    live: list[dict[str, str]] = []
    deadline = time.monotonic() + LIVE_HANG_GUARD_S
    while time.monotonic() < deadline:
        c = counters(page)
        if c.get("rateMode") == "average":
            break
        if c.get("rateMode") == "live" and int(c["rate"]) > 0 and int(c.get("viewers") or 0) >= 1:
            live.append(c)
            if len(live) == 3:
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "counters-live.png"))
        time.sleep(0.2)
    assert live, "the counters never showed a live rate with a viewer while the run went"
    assert all(c["dropped"] == "0" for c in live)

    page.wait_for_selector("#run-counters[data-rate-mode=average]", timeout=60_000)
    page.wait_for_selector("mp-timeline[data-ended=true]")
    expect(strip).not_to_have_attribute("data-emits", "0")
    end = counters(page)
    assert end["dropped"] == "0"
    assert int(end["rate"]) > 0  # the run's average: its events over its duration
    assert int(end["emits"]) >= 2 * PARAMS["events"]  # every emitter's emits, and more
    assert float(end["emitUs"]) > 0
    expect(strip.locator(".counter.good")).to_contain_text("0")
    expect(strip).to_contain_text("µs")
    expect(strip).to_contain_text("average over")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "counters.png"))
