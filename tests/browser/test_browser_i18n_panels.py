"""Every scenario's run page in Traditional Chinese, in a real headless Chromium: no English left.

For each scenario a finished run is opened in English, then 中文 is pressed (so the views must
re-render on the switch, not only on a reload). Every visible text node, title and aria-label under
the state panel, the timeline's controls and legend, the replay bar, the counters, the run header and
the run list is compared with the English catalogue (static/js/i18n.js's strings("en"), the panels'
words included): a text that is still an English catalogue string whose Chinese differs fails the
test, naming it. Screenshots: tests/artifacts/zh-race.png, zh-queue.png, zh-pool.png, and
zh-race-projector.png, zh-queue-projector.png in the projector theme (all 1280 px wide, full page).
Fixtures come from tests/conftest.py.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, Browser, expect, start_run, wait_finished

pytestmark = pytest.mark.browser

# Small runs of every scenario with a view of its own (firehose has none: the generic view).
RUNS: dict[str, dict[str, Any]] = {
    "race": {"workers": 3, "increments": 300},
    "queue": {"producers": 2, "consumers": 2, "items": 6, "maxsize": 2, "produce_ms": 10, "consume_ms": 30},
    "pool": {"n": 8, "sleep_ms": 50, "method": "imap_unordered", "uneven": True},
    "processes": {"workers": 2, "sleep_ms": 100},
    "pipe": {"messages": 5, "delay_ms": 10},
    "manager": {"workers": 2, "ops": 4, "delay_ms": 5},
    "shared_memory": {"workers": 2, "size": 8, "delay_ms": 5},
    "sync": {"workers": 4, "limit": 2, "work_ms": 30, "signal_ms": 50},
    "deadlock": {"fix": True, "rounds": 2, "hold_ms": 20},
    "executor": {"tasks": 4, "workers": 2, "task_ms": 30},
    "gil": {"workers": 1, "work_units": 2, "cpu_n": 50_000, "io_ms": 5},
    "firehose": {"processes": 1, "events": 200},
}
SHOTS = {"race", "queue", "pool"}

# Regions of a run page whose words are the interface's (not the run's own names and values).
REGIONS = [
    "#state-panel",
    "mp-timeline .tl-toolbar",
    "mp-timeline .tl-legend-wrap",
    "#replay-bar",
    "#run-counters",
    "#run-header",
    "#run-list",
    "#page-run > :not(#run-body)",
]

LEFTOVERS = """async (regions) => {
  const { strings } = await import("/static/js/i18n.js");
  const en = strings("en"), zh = strings("zh");
  const escape = (s) => s.replace(/[.*+?^${}()|[\\]\\\\]/g, "\\\\$&");
  const exact = new Map();
  const patterns = [];
  for (const [key, value] of Object.entries(en)) {
    const text = value.trim();
    // Only words that change: a string that is the same in both languages (a name) is fine.
    if (zh[key] === value || !/[A-Za-z]{2,}/.test(text.replace(/\\{\\w+\\}/g, ""))) continue;
    if (!text.includes("{")) exact.set(text, key);
    else patterns.push([key, new RegExp(`^${text.split(/\\{\\w+\\}/).map(escape).join(".+?")}$`)]);
  }
  const NAMES = "code, pre, [translate=no], .run-scn, #run-filter-scenario";
  const found = [];
  const check = (text, where) => {
    const s = (text ?? "").trim();
    if (!s) return;
    if (exact.has(s)) found.push(`${where}: "${s}" (${exact.get(s)})`);
    else for (const [key, re] of patterns) if (re.test(s)) found.push(`${where}: "${s}" (${key})`);
  };
  let texts = 0;
  for (const selector of regions) {
    for (const root of document.querySelectorAll(selector)) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        // code, names marked translate="no" (Value, Pipe: the class names) and scenario ids ("processes")
        if (!el || el.closest(NAMES) || !el.checkVisibility()) continue;
        texts++;
        check(n.textContent, selector);
      }
      for (const el of [root, ...root.querySelectorAll("[title], [aria-label]")]) {
        if (!el.checkVisibility()) continue;
        check(el.getAttribute("title"), `${selector} [title]`);
        check(el.getAttribute("aria-label"), `${selector} [aria-label]`);
      }
    }
  }
  return { found, texts };
}"""


def finished_run(base: str, scenario: str, params: dict[str, Any]) -> str:
    run_id = start_run(base, scenario, **params)
    wait_finished(base, run_id)  # under its hang guard
    return run_id


def leftovers(page: Any) -> list[str]:
    result = page.evaluate(LEFTOVERS, REGIONS)
    assert result["texts"] > 40, result  # the check saw the page's words, not an empty page
    return list(result["found"])


def test_every_view_speaks_chinese(live_server: Any, browser: Browser) -> None:
    base = live_server.url
    ids = {scenario: finished_run(base, scenario, params) for scenario, params in RUNS.items()}
    page = browser.page
    ARTIFACTS.mkdir(exist_ok=True)
    for scenario, run_id in ids.items():
        page.goto(f"{base}/runs/{run_id}")
        view = "generic" if scenario == "firehose" else scenario
        page.locator(f"#state-panel [data-view={view}]").wait_for()
        page.wait_for_selector("mp-timeline[data-ended=true]")
        page.wait_for_selector("#replay-bar:not([hidden])")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        english = leftovers(page)
        assert english, f"{scenario}: the check finds nothing even in English"  # it can fail

        page.locator("#lang-zh").click()  # live: the views re-render on the switch
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
        page.wait_for_timeout(100)  # the views render on the next animation frame
        assert leftovers(page) == [], f"{scenario}: English left after switching to 中文"
        if scenario in SHOTS:
            page.screenshot(path=str(ARTIFACTS / f"zh-{scenario}.png"), full_page=True)
        page.locator("#lang-en").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")

    # What a view says, both ways, live.
    page.goto(f"{base}/runs/{ids['race']}")
    verdict = page.locator("[data-view=race][data-final=true] .race-verdict")
    expect(verdict).to_contain_text("updates")
    page.locator("#lang-zh").click()
    expect(verdict).to_contain_text("更新")
    expect(page.locator("mp-timeline .tl-legend")).to_contain_text("進程存活")
    expect(page.locator("mp-timeline .tl-btn").nth(2)).to_have_text("⤢ 全部顯示")

    # A page opened in Chinese (first render, not a switch), in the projector theme.
    for scenario in ("race", "queue"):
        page.goto(f"{base}/runs/{ids[scenario]}")
        page.locator(f"[data-view={scenario}][data-final=true]").wait_for()
        page.wait_for_selector("mp-timeline[data-ended=true]")
        if page.locator("html.theme-projector").count() == 0:
            page.locator("#theme-toggle").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\btheme-projector\b"))
        page.wait_for_timeout(100)
        assert leftovers(page) == [], f"{scenario}: English left in a page opened in 中文"
        page.screenshot(path=str(ARTIFACTS / f"zh-{scenario}-projector.png"), full_page=True)
    assert browser.errors == []
