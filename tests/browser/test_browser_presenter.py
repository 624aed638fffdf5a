"""Presenter follow in a real headless Chromium with separate browser contexts: a presenter and two
audience members, one joining by typing the code, one by the URL decoded from the on-screen QR code.

The presenter opens a "predict the result" poll, the audience answers, the presenter sees the tally,
starts the race tutorial run, shows the right answer, then seeks the replay, zooms, steps, opens the
compare page and switches run: the audience follows each. Hooks: #presence[data-mode][data-code],
.presence-followers[data-n], .poll[data-poll][data-open], .tally[data-count], #replay-bar's data-cursor-*,
<mp-timeline>.span. The QR code is decoded with jsQR (tests/vendor/jsqr-1.4.0, Apache-2.0), run in the
page through the DevTools protocol, which the page's CSP does not restrict.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, RACE_TUTORIAL, Browser, HangError, chromium, expect, post_json

pytestmark = pytest.mark.browser

JSQR = Path(__file__).parent.parent / "vendor" / "jsqr-1.4.0" / "jsQR.js"
WAIT = 60_000
DECODE_QR = """async (selector) => {
  const svg = document.querySelector(selector);
  const img = new Image();
  img.src = "data:image/svg+xml;base64," + btoa(new XMLSerializer().serializeToString(svg));
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 400;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(img, 0, 0, 400, 400);
  const found = window.jsQR(ctx.getImageData(0, 0, 400, 400).data, 400, 400);
  return found ? found.data : null;
}"""


class Pages(Browser):
    """Pages in separate browser contexts, each with its console errors and uncaught exceptions."""

    def __init__(self, chromium: Any) -> None:
        self.chromium = chromium
        self.errors: list[str] = []

    def new(self, name: str) -> Any:
        return self.watch(self.chromium.new_context(viewport={"width": 1280, "height": 720}).new_page(), name)


@pytest.fixture
def pages() -> Iterator[Pages]:
    with chromium() as launched:
        yield Pages(launched)


def decode_qr(page: Any, selector: str) -> str:
    source = JSQR.read_text()
    page.evaluate(
        "(src) => { const module = { exports: {} };"
        " new Function('module', 'exports', src)(module, module.exports); window.jsQR = module.exports; }",
        source,
    )
    text = page.evaluate(DECODE_QR, selector)
    assert text, "the QR code did not decode"
    return str(text)


def cursor(page: Any) -> tuple[str, str]:
    bar = page.locator("#replay-bar")
    return bar.get_attribute("data-cursor-index") or "", bar.get_attribute("data-cursor-t") or ""


def span(page: Any) -> dict[str, float] | None:
    return page.evaluate("() => document.getElementById('timeline').span")  # type: ignore[no-any-return]


def same_span(a: dict[str, float] | None, b: dict[str, float] | None) -> bool:
    if a is None or b is None:
        return a is b
    width = a["t1"] - a["t0"]
    return abs(a["t0"] - b["t0"]) <= 1e-6 * width and abs(a["t1"] - b["t1"]) <= 1e-6 * width


SPAN_HANG_GUARD_S = 10  # 10x+ the time a follower takes to show the presenter's span (a tick or two)


def wait_span(audience: Any, presenter: Any) -> None:
    """The audience's timeline shows the presenter's time span, at its own width."""
    for _ in range(SPAN_HANG_GUARD_S * 10):
        if same_span(span(presenter), span(audience)):
            return
        audience.wait_for_timeout(100)
    raise HangError("hang guard", f"spans differ: presenter {span(presenter)}, audience {span(audience)}")


def test_audience_follows_the_presenter_and_answers_the_poll(live_server: Any, pages: Pages) -> None:
    base = live_server.url
    presenter = pages.new("presenter")
    presenter.goto(f"{base}/")
    presenter.locator("#present-start").click()
    screen = presenter.locator("#join-screen")
    expect(screen).to_be_visible()
    card = presenter.locator("#presence[data-mode=present]")
    code = card.get_attribute("data-code") or ""
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code), code
    expect(screen.locator(".join-screen-code")).to_have_text(code)
    ARTIFACTS.mkdir(exist_ok=True)
    presenter.screenshot(path=str(ARTIFACTS / "presenter-join.png"))
    join_url = decode_qr(presenter, "#join-screen .qr")
    assert join_url == f"{base}/join/{code}"
    assert decode_qr(presenter, "#presence .qr") == join_url
    presenter.keyboard.press("Escape")
    expect(screen).to_be_hidden()

    # One joins by typing the code, one by the QR code's URL.
    typed = pages.new("audience")
    typed.goto(f"{base}/")
    typed.locator("#join-open").click()
    typed.locator("#join-dialog input[name=code]").fill(code.lower())
    typed.locator("#join-dialog button[type=submit]").click()
    expect(typed.locator(".follow-badge")).to_contain_text(code, timeout=WAIT)
    scanned = pages.new("scanned")
    scanned.goto(join_url)
    expect(scanned.locator(".follow-badge")).to_contain_text(code, timeout=WAIT)
    expect(presenter.locator(".presence-followers")).to_have_attribute("data-n", "2", timeout=WAIT)
    for page in (typed, scanned):  # read-only: nothing that starts, stops or presents
        expect(page.locator("#present-start")).to_have_count(0)
        expect(page.locator(".sidebar")).to_be_hidden()

    # The presenter opens the race lesson; the audience follows.
    presenter.locator("a.scn-link[data-scenario-id=race]").click()
    for page in (typed, scanned):
        page.wait_for_url(re.compile(r"/scenarios/race$"), timeout=WAIT)
        expect(page.locator(".scn-title")).to_be_visible()
        expect(page.locator(".run-form .btn-run")).to_be_hidden()

    # Predict the result: a poll before the run.
    presenter.locator(".presence-ask").click()
    presenter.locator("input[name=question]").fill("What will the counter be?")
    presenter.locator(".poll-ask").click()
    expect(presenter.locator("#presence .poll")).to_have_attribute("data-open", "true")
    for page, guess in ((typed, "5"), (scanned, "3")):
        poll = page.locator("#presence .poll[data-open=true]")
        expect(poll.locator(".poll-question")).to_have_text("What will the counter be?", timeout=WAIT)
        poll.locator("input[name=answer]").fill(guess)
        poll.locator(".poll-send").click()
        expect(poll.locator(".poll-status")).to_have_attribute("data-sent", guess)
    tally = presenter.locator("#presence .tally")
    expect(tally).to_have_attribute("data-count", "2", timeout=WAIT)
    expect(tally.locator(".tally-col[data-value='5']")).to_have_attribute("data-count", "1")
    expect(typed.locator("#presence .tally")).to_have_count(0)  # hidden from the audience while open
    presenter.locator(".poll-close").click()
    expect(typed.locator("#presence .poll[data-open=false] .tally")).to_have_attribute("data-count", "2")

    # The run: the presenter starts it, everyone watches it; then the right answer goes up.
    presenter.locator(".preset[data-preset=tutorial]").click()
    presenter.locator(".run-form .btn-run").click()
    presenter.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = presenter.url.rsplit("/", 1)[-1]
    for page in (presenter, typed, scanned):
        page.wait_for_url(re.compile(f"/runs/{run_id}$"), timeout=WAIT)
        expect(page.locator("#replay-bar")).to_be_visible(timeout=WAIT)
    expect(presenter.locator("input[name=answer]")).to_have_value("5", timeout=WAIT)  # the run's result
    presenter.locator(".poll-show").click()
    right = typed.locator("#presence .tally-col.right")
    expect(right).to_have_attribute("data-value", "5", timeout=WAIT)
    expect(typed.locator("#presence .tally-col.mine")).to_have_attribute("data-value", "5")
    expect(scanned.locator("#presence .tally-col.mine")).to_have_attribute("data-value", "3")
    expect(presenter.locator("#presence .tally-col.right")).to_have_attribute("data-value", "5")

    # Replay: the presenter scrubs to the middle, zooms in and steps; the audience shows the same.
    bar = presenter.locator("#replay-bar")
    scrub = bar.locator(".rb-scrub")
    lo, hi = int(scrub.get_attribute("min") or 0), int(float(scrub.get_attribute("max") or 0))
    scrub.fill(str((lo + hi) // 2))
    expect(bar).to_have_attribute("data-state", "paused")
    for page in (typed, scanned):
        expect(page.locator("#replay-bar")).to_have_attribute(
            "data-cursor-index", cursor(presenter)[0], timeout=WAIT
        )
        expect(page.locator("#replay-bar")).to_have_attribute("data-cursor-t", cursor(presenter)[1])
    presenter.locator("mp-timeline .tl-btn[data-i18n-title='tl.zoomIn']").click()
    presenter.locator("mp-timeline .tl-btn[data-i18n-title='tl.zoomIn']").click()
    assert span(presenter) is not None
    wait_span(typed, presenter)
    wait_span(scanned, presenter)
    presenter.locator("body").click(position={"x": 640, "y": 8})
    presenter.keyboard.press("ArrowRight")
    expect(typed.locator("#replay-bar")).to_have_attribute(
        "data-cursor-index", cursor(presenter)[0], timeout=WAIT
    )
    expect(typed.locator("[data-view=race] .race-value")).to_have_text(
        presenter.locator("[data-view=race] .race-value").inner_text()
    )
    presenter.wait_for_timeout(300)  # the tally's bars grow in place; the screenshots show them settled
    presenter.screenshot(path=str(ARTIFACTS / "presenter.png"))
    typed.screenshot(path=str(ARTIFACTS / "audience.png"))

    # The presenter hides the card for the run (the header's chip brings it back); a reader the poll.
    presenter.locator(".presence-hide").click()
    expect(presenter.locator("#presence")).to_be_hidden()
    presenter.locator(".presenting-chip").click()
    expect(presenter.locator("#presence")).to_be_visible()
    scanned.locator(".poll-dismiss").click()
    expect(scanned.locator("#presence")).to_be_hidden()

    # Compare two runs: a page of its own, followed too; then another run.
    unlocked = {**RACE_TUTORIAL, "use_lock": False}
    other = post_json(f"{base}/api/runs", {"scenario": "race", "params": unlocked})
    presenter.goto(f"{base}/compare?a={run_id}&b={other['id']}")
    expect(presenter.locator("#cmp-table")).to_have_attribute("data-ready", "true", timeout=WAIT)
    for page in (typed, scanned):
        page.wait_for_url(re.compile(rf"/compare\?a={run_id}&b={other['id']}$"), timeout=WAIT)
        expect(page.locator(".follow-badge")).to_contain_text(code)
        expect(page.locator("#cmp-table")).to_have_attribute("data-ready", "true", timeout=WAIT)
    presenter.goto(f"{base}/runs/{other['id']}")
    for page in (typed, scanned):
        page.wait_for_url(re.compile(f"/runs/{other['id']}$"), timeout=WAIT)
        expect(page.locator("#run-header")).to_have_attribute("data-status", "succeeded", timeout=WAIT)
    expect(presenter.locator("#presence[data-mode=present]")).to_have_attribute("data-code", code)

    # The presenter stops: the audience is told, and has its controls back after leaving.
    presenter.locator(".presence-stop").click()
    expect(typed.locator(".presence-ended")).to_be_visible(timeout=WAIT)
    expect(typed.locator("body")).not_to_have_class(re.compile("following"))
    assert pages.errors == []
