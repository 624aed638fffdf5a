"""Who sees Edit and run, in a real headless Chromium: the presenter only.

- A follower of a presentation never sees an edit control: not the source panel's link, not the sidebar's
  New program, not a code run's "Edit and run", not the editor page's Run; the editor is read-only.
- On a server with a token, a browser that has not opened the presenter's link sees none either (GET
  /api/code's may_run); once it has (/?token=T sets the cookie), it does.
- On a non-loopback bind without --allow-code, even the presenter's editor page says code runs are off
  and why, with Run disabled.
- Where the server could make no network namespace, the editor page says so. That is a property of the
  machine (tests/code proves the probe); here the browser is handed /api/code's answer with
  "network": "open", the one stand-in in this file, at the page's edge.
Screenshots: tests/artifacts/code-access-*.png (en and zh).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.pages import post_json, present
from tests.helpers import ARTIFACTS, LiveServer, chromium, expect, start_server, stop_server, wait_finished

pytestmark = pytest.mark.browser
TOKEN = "presenter-token-for-browser-code-tests"
WAIT = 30_000  # hang guard for the page to follow or load (a second or two)
EDIT_CONTROLS = [
    "[data-testid=edit-and-run]",
    "#new-program",
    "#page-code .code-actions",
    "[data-testid=code-run]",
]


@pytest.fixture(name="chromium")
def chromium_fixture() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def new_page(chromium: Any, lang: str = "") -> Any:
    ctx = chromium.new_context(viewport={"width": 1280, "height": 720})
    if lang:
        ctx.add_init_script(f"localStorage.setItem('mpscope.lang', {json.dumps(lang)});")
    page = ctx.new_page()
    page.set_default_timeout(WAIT)
    return page


def no_edit_controls(page: Any) -> None:
    for selector in EDIT_CONTROLS:
        for i in range(page.locator(selector).count()):
            expect(page.locator(selector).nth(i)).to_be_hidden()


def editor_read_only(page: Any) -> None:
    page.locator("#page-code[data-ready=true]").wait_for()
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "false")
    assert page.locator("#page-code").get_attribute("data-enabled") == "false"


def test_a_follower_never_sees_the_edit_controls(live_server: Any, chromium: Any) -> None:
    base = live_server.url
    run = post_json(f"{base}/api/runs", {"source": "print('hello')\n"})
    wait_finished(live_server, run["id"])
    p = present(base, run["id"], poll=False)
    key = {"X-Presenter-Key": p["key"]}
    try:
        follower = new_page(chromium)
        follower.goto(f"{base}/join/{p['code']}")
        expect(follower.locator("body")).to_have_class("following", timeout=WAIT)
        follower.wait_for_url(f"**/runs/{run['id']}")
        follower.locator("#run-console [data-stream=stdout]", has_text="hello").wait_for()
        expect(follower.locator("#run-header").get_by_role("link", name="Edit and run")).to_be_hidden()
        no_edit_controls(follower)
        for path in ("/scenarios/race", "/code/scenarios/race"):
            post_json(f"{base}/api/present/{p['code']}/view", {"path": path}, key)
            follower.wait_for_url(f"**{path}")
            if path.startswith("/code/"):
                editor_read_only(follower)
                expect(follower.locator("#page-code .code-note")).to_be_hidden()  # the badge says read-only
            no_edit_controls(follower)
        ARTIFACTS.mkdir(exist_ok=True)
        follower.screenshot(path=str(ARTIFACTS / "code-access-follower.png"))
    finally:
        httpx.delete(f"{base}/api/present/{p['code']}", headers=key, timeout=10)


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path, "--no-history", "--token", TOKEN)
    yield server
    stop_server(server)


def test_only_the_browser_with_the_presenters_token_sees_them(
    token_server: LiveServer, chromium: Any
) -> None:
    base = token_server.url
    for lang in ("en", "zh"):
        page = new_page(chromium, lang)
        page.goto(f"{base}/scenarios/race")
        page.locator("#source-panel summary").click()
        expect(page.locator("body")).to_have_class("not-presenter")
        no_edit_controls(page)
        page.goto(f"{base}/code/new")
        editor_read_only(page)
        no_edit_controls(page)
        note = page.locator("#page-code .code-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("Only the presenter" if lang == "en" else "只有主講者")
        page.screenshot(path=str(ARTIFACTS / f"code-access-not-presenter-{lang}.png"))
        page.context.close()
    page = new_page(chromium)
    page.goto(f"{base}/?token={TOKEN}")  # the presenter's link: sets the cookie
    page.goto(f"{base}/code/scenarios/race")
    page.locator("#page-code[data-ready=true]").wait_for()
    assert page.locator("#page-code").get_attribute("data-enabled") == "true"
    expect(page.get_by_test_id("code-run")).to_be_enabled()
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "true")
    expect(page.locator("#new-program")).to_be_visible()


@pytest.fixture
def wide_server(tmp_path: Path) -> Iterator[LiveServer]:
    """Every address, so a token, and no --allow-code: code runs are off."""
    server = start_server(tmp_path, "--no-history", "--host", "0.0.0.0", "--token", TOKEN)
    yield server
    stop_server(server)


def test_code_runs_off_are_said_on_the_page(wide_server: LiveServer, chromium: Any) -> None:
    base = wide_server.url
    for lang in ("en", "zh"):
        page = new_page(chromium, lang)
        page.goto(f"{base}/?token={TOKEN}")  # even the presenter
        page.goto(f"{base}/code/new")
        editor_read_only(page)
        note = page.locator("#page-code .code-note.warn")
        expect(note).to_contain_text("--allow-code")
        expect(note).not_to_contain_text("code runs are off: this server")  # the reason, said once
        expect(note).to_contain_text("Code runs are off" if lang == "en" else "已關閉程式執行")
        expect(page.get_by_test_id("code-run")).to_be_disabled()
        page.goto(f"{base}/scenarios/race")
        page.locator("#source-panel summary").click()
        expect(page.locator("body")).to_have_class("code-off")
        expect(page.get_by_test_id("edit-and-run")).to_be_hidden()
        expect(page.locator("#new-program")).to_be_hidden()
        page.goto(f"{base}/code/new")
        page.locator("#page-code[data-ready=true]").wait_for()
        page.screenshot(path=str(ARTIFACTS / f"code-access-off-{lang}.png"))
        page.context.close()


def test_no_network_namespace_is_said_on_the_page(live_server: Any, chromium: Any) -> None:
    base = live_server.url
    real = httpx.get(f"{base}/api/code", timeout=30).json()
    note = "no network namespace could be made (unshare: Operation not permitted)"
    for lang in ("en", "zh"):
        page = new_page(chromium, lang)
        page.route(
            "**/api/code",
            lambda route: route.fulfill(json={**real, "network": "open", "network_note": note}),
        )
        page.goto(f"{base}/code/new")
        page.locator("#page-code[data-ready=true]").wait_for()
        shown = page.locator("#page-code .code-note")
        expect(shown).to_contain_text(note)
        expect(shown).to_contain_text("No network isolation" if lang == "en" else "網路")
        expect(page.get_by_test_id("code-run")).to_be_enabled()  # it still runs: the page says what it is
        page.screenshot(path=str(ARTIFACTS / f"code-access-network-{lang}.png"))
        page.context.close()
