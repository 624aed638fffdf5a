"""The interface in English and Traditional Chinese, in a real headless Chromium.

The header's language switch (#lang-en / #lang-zh, aria-pressed) changes every data-i18n hook and the
widgets that render words themselves (run header, counters, status badges); the choice is remembered
(localStorage, shared with the scenario explanations) across a reload. English stays the default.
Fixtures come from tests/conftest.py; screenshot tests/artifacts/i18n-zh.png.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, RUN_TIMEOUT_MS, Browser, expect

pytestmark = pytest.mark.browser


def test_switch_to_chinese_is_remembered_and_runs_in_chinese(live_server: Any, browser: Browser) -> None:
    page = browser.page
    page.goto(f"{live_server.url}/scenarios/race")
    page.locator("#param-workers").wait_for()

    # English by default.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#lang-en")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#scenarios-h")).to_have_text("Scenarios")
    expect(page.locator("label[for=start-method]")).to_contain_text("Start method")

    # Switch: chrome in the template and in the widgets changes at once.
    page.locator("#lang-zh").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#lang-zh")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#lang-en")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#scenarios-h")).to_have_text("情境")
    expect(page.locator("#runs-h")).to_have_text("最近的執行")
    expect(page.locator("#theme-toggle")).to_have_text("◐ 投影模式")
    expect(page.locator("label[for=start-method]")).to_contain_text("啟動方式")
    expect(page.locator("label[for=start-method] code")).to_have_text("start_method")  # code stays code
    expect(page.locator(".run-form h3")).to_have_text("參數")
    expect(page.locator("#scenario-panel .explain-head h3")).to_have_text("說明")
    explanation_zh = page.locator("#scenario-panel .explain-head .seg-btn[lang=zh-Hant]")
    expect(explanation_zh).to_have_attribute("aria-pressed", "true")  # one language for everything
    expect(page.locator("#help-dialog h2")).to_have_text("鍵盤快捷鍵", use_inner_text=False)

    # Remembered across a reload.
    page.reload()
    page.locator("#param-workers").wait_for()
    expect(page.locator("#lang-zh")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#scenarios-h")).to_have_text("情境")
    expect(page.locator("#scenario-panel .btn-run")).to_have_text("▶ 執行 Run")

    # A race started from the dashboard in Chinese: run header and counters speak Chinese.
    page.locator("#param-workers").fill("2")
    page.locator("#param-increments").fill("300")
    page.get_by_role("button", name=re.compile(r"\bRun\b")).click()  # the English word stays
    page.wait_for_url(re.compile(r"/runs/[0-9a-f]+$"))
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.wait_for_selector("#run-header[data-status=succeeded]", timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=RUN_TIMEOUT_MS)
    header = page.locator("#run-header")
    expect(header.locator(".rh-id")).to_have_text(f"執行 {run_id}")
    expect(header.locator(".badge")).to_have_text("成功")
    expect(header.locator(".rh-stats")).to_contain_text("啟動方式")
    expect(header.locator(".rh-stats")).to_contain_text("耗時")
    expect(header.get_by_role("button", name="↻ 再執行一次")).to_be_visible()
    expect(header.locator("mp-export-menu summary")).to_have_text("⇩ 匯出")
    counters = page.locator("#run-counters")
    expect(counters).to_contain_text("丟棄")
    expect(counters).to_contain_text("觀看人數")
    expect(counters).to_contain_text("內的平均")  # "… 內的平均": the average once the run has ended
    expect(page.locator(f".run-item[data-run-id='{run_id}'] .badge")).to_have_text("成功")
    expect(page.locator("#replay-bar .rb-play")).to_have_text("▶ 重播")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "i18n-zh.png"))

    # Back to English, live: the same run's chrome changes back without a reload.
    page.locator("#lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(header.locator(".rh-id")).to_have_text(f"run {run_id}")
    expect(header.locator(".badge")).to_have_text("succeeded")
    expect(counters).to_contain_text("average over")
    expect(page.locator("#replay-bar .rb-play")).to_have_text("▶ Replay")
    expect(page.locator("#scenarios-h")).to_have_text("Scenarios")
    page.reload()
    expect(page.locator("#lang-en")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#run-header .rh-id")).to_have_text(f"run {run_id}")
    assert browser.errors == []
