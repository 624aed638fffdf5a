"""The Edit and run page in a real headless Chromium against a real server (issue 15, the page's half).

- Every lesson's source panel, and a traced run's, offers "Edit and run", which opens that program in
  the editor; the traced program then runs from the editor as a code run.
- The editor: Python highlighting (a keyword drawn in the theme's keyword colour), line numbers, undo and
  redo, and type that grows with the projector theme. The New program page starts from the server's
  template; the start method picked is the one the run gets; Run again and replay work on a code run.
- stdout and stderr arrive in the console while the program still runs (asserted against the run's
  status over REST, not against a clock), and are kept: GET /api/runs/{id}/output.
Screenshots: tests/artifacts/code-page-*.png.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import post_json
from tests.helpers import ARTIFACTS, Browser, expect, get_json, wait_finished

pytestmark = pytest.mark.browser
GUARD_MS = 60_000  # hang guard: each run here ends in a few seconds
TRACED = Path(__file__).parent.parent / "trace_programs" / "dashboard_demo.py"
STREAMING = """import sys
import time

print("first line", flush=True)
print("a warning", file=sys.stderr, flush=True)
for _ in range(300):  # 30 s at most: the test cancels it once it has seen both lines
    time.sleep(0.1)
"""


def editor_ready(page: Any) -> None:
    page.locator("#page-code[data-ready=true]").wait_for(timeout=GUARD_MS)


def editor_text(page: Any) -> str:
    """The editor's document: CodeMirror's own, not the DOM's (which only draws the lines in view)."""
    return str(page.evaluate(DOC))


DOC = """async () => {
  const { EditorView } = await import("/static/vendor/codemirror-6.44.2/codemirror.min.js");
  const host = document.querySelector("#page-code .code-host");
  return EditorView.findFromDOM(host.shadowRoot.querySelector(".cm-editor")).state.doc.toString();
}"""


def new_run_id(page: Any, old: str = "") -> str:
    page.wait_for_url(
        lambda url: "/runs/" in url and "/code/" not in url and not url.endswith(f"/{old}"), timeout=GUARD_MS
    )
    return str(page.url.rsplit("/", 1)[-1])


def test_every_lesson_and_a_traced_run_open_in_the_editor(live_server: Any, browser: Browser) -> None:
    page, base = browser.page, live_server.url
    scenarios = get_json(f"{base}/api/scenarios")
    assert len(scenarios) >= 10
    for s in scenarios:
        program = get_json(f"{base}/api/scenarios/{s['id']}")["program"]
        page.goto(f"{base}/scenarios/{s['id']}")
        panel = page.locator("#source-panel")
        panel.locator("summary").wait_for()
        if panel.get_attribute("open") is None:
            panel.locator("summary").click()
        link = page.get_by_test_id("edit-and-run")
        expect(link).to_be_visible()
        assert link.get_attribute("href") == f"/code/scenarios/{s['id']}"
        link.click()
        page.wait_for_url(f"**/code/scenarios/{s['id']}")
        editor_ready(page)
        assert editor_text(page) == program, s["id"]
        expect(page.locator("#code-h")).to_contain_text(s["title"])

    # a traced program (`mpscope trace`): its own source, run again from the editor as a code run
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--server", base, str(TRACED)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    traced = next(line.split()[-1] for line in done.stderr.splitlines() if "/runs/" in line).rsplit("/", 1)[
        -1
    ]
    page.goto(f"{base}/runs/{traced}")
    panel = page.locator("#source-panel")
    panel.locator("summary").wait_for()
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    page.get_by_test_id("edit-and-run").click()
    page.wait_for_url(f"**/code/runs/{traced}")
    editor_ready(page)
    assert editor_text(page) == TRACED.read_text()
    page.locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    run_id = new_run_id(page)
    run = wait_finished(live_server, run_id)
    assert run["scenario"] == "code" and run["status"] == "succeeded"
    start = get_json(f"{base}/api/runs/{run_id}/events")[0]["data"]
    assert start["source"] == TRACED.read_text()


def test_the_editor_highlights_numbers_undoes_and_grows_with_the_projector(
    live_server: Any, browser: Browser
) -> None:
    page, base = browser.page, live_server.url
    page.goto(f"{base}/code/new")
    editor_ready(page)
    template = get_json(f"{base}/api/code")["template"]
    assert template and editor_text(page) == template  # New program: the server's template
    # highlighting: the theme's colours, per kind of token
    colour = page.locator(".cm-line span", has_text=re.compile(r"^import$")).first.evaluate(
        "e => getComputedStyle(e).color"
    )
    assert colour == "rgb(255, 143, 177)"  # --py-kw
    string = page.locator(".cm-line span", has_text=re.compile(r"^\"\"\"A new program")).first
    assert string.evaluate("e => getComputedStyle(e).color") == "rgb(165, 232, 135)"  # --py-str
    # line numbers: one per line drawn (CodeMirror draws the lines in view), from 1
    numbers = [n for n in page.locator(".cm-lineNumbers .cm-gutterElement").all_inner_texts() if n.strip()]
    drawn = page.locator(".cm-line").count()
    assert drawn >= 10 and numbers == [str(n) for n in range(1, drawn + 1)]
    # undo and redo
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# one more line")
    assert editor_text(page) == template + "# one more line"
    page.keyboard.press("Control+z")
    assert editor_text(page) == template
    page.keyboard.press("Control+z")  # the program as loaded: nothing further back to undo
    assert editor_text(page) == template
    page.keyboard.press("Control+y")
    assert editor_text(page) == template + "# one more line"
    page.keyboard.press("Control+z")

    # type that follows the projector theme
    def size() -> float:
        return float(page.locator(".cm-content").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))

    dark = size()
    page.locator("#theme-toggle").click()
    expect(page.locator("html")).to_have_class(re.compile("theme-projector"))
    assert size() > dark
    page.screenshot(path=str(ARTIFACTS / "code-page-new-projector.png"))
    page.locator("#theme-toggle").click()
    assert size() == dark

    # the start method picked is the run's
    methods = get_json(f"{base}/api/health")["start_methods"]
    picker = page.locator("#code-method")
    assert picker.locator("option").evaluate_all("os => os.map(o => o.value)") == methods
    picker.select_option("spawn")
    page.get_by_test_id("code-run").click()
    run_id = new_run_id(page)
    run = wait_finished(live_server, run_id)
    assert run["status"] == "succeeded" and run["start_method"] == "spawn"
    squares = str([(n, n * n) for n in range(6)])
    page.locator("#run-console [data-stream=stdout]", has_text=squares).wait_for(timeout=GUARD_MS)
    expect(page.locator("#run-header")).to_contain_text("spawn")

    # replay the code run, then run it again: the same program, a new run
    page.locator("[data-testid=timeline] mp-timeline[data-ended=true]").wait_for(timeout=GUARD_MS)
    page.locator("#replay-bar").get_by_role("button", name=re.compile("Next event")).click()
    expect(page.locator("#replay-bar")).to_have_attribute("data-cursor-index", "1")
    page.locator("#run-header").get_by_role("button", name=re.compile("Run again")).click()
    again = new_run_id(page, run_id)
    assert wait_finished(live_server, again)["status"] == "succeeded"
    events = get_json(f"{base}/api/runs/{again}/events")
    assert events[0]["data"]["source"] == template and events[0]["data"]["start_method"] == "spawn"
    page.locator("#run-console [data-stream=stdout]", has_text=squares).wait_for(timeout=GUARD_MS)


def test_output_streams_into_the_console_while_the_program_runs(live_server: Any, browser: Browser) -> None:
    page, base = browser.page, live_server.url
    run = post_json(f"{base}/api/runs", {"source": STREAMING})
    try:
        page.goto(f"{base}/runs/{run['id']}")
        console = page.locator("#run-console")
        console.locator("[data-stream=stdout]", has_text="first line").wait_for(timeout=GUARD_MS)
        console.locator("[data-stream=stderr]", has_text="a warning").wait_for(timeout=GUARD_MS)
        assert get_json(f"{base}/api/runs/{run['id']}")["status"] == "running"  # live, not at the end
        assert "out-err" in (console.locator("[data-stream=stderr]").get_attribute("class") or "")
        page.screenshot(path=str(ARTIFACTS / "code-page-streaming.png"))
    finally:
        post_json(f"{base}/api/runs/{run['id']}/cancel", {})
    ended = wait_finished(live_server, run["id"])
    assert ended["status"] == "cancelled"
    output = get_json(f"{base}/api/runs/{run['id']}/output")
    assert output["stdout"] == "first line\n" and output["stderr"] == "a warning\n"
