"""A traced program in a real headless Chromium: `mpscope trace` into a live server, then its run page.

The program (tests/trace_programs/dashboard_demo.py) uses a Queue, a Lock, a Value, an Array, a
Barrier, a Manager dict, a Pipe and a Pool. The run page must show it like a scenario: a lane per
process, the trace panel with its primitives, the script's own source; screenshot
tests/artifacts/trace-run.png (and -zh.png with the Chinese interface).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ARTIFACTS, Browser, get_json

pytestmark = pytest.mark.browser
PROGRAM = Path(__file__).parent.parent / "trace_programs" / "dashboard_demo.py"


def test_a_traced_program_has_its_own_run_page(live_server: Any, browser: Browser) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--server", live_server.url, str(PROGRAM)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    plain = subprocess.run([sys.executable, str(PROGRAM)], capture_output=True, text=True, timeout=120)
    assert done.returncode == plain.returncode == 0, done.stderr
    assert done.stdout == plain.stdout
    url = next(line.split()[-1] for line in done.stderr.splitlines() if "/runs/" in line)
    run = get_json(f"{live_server.url}/api/runs/{url.rsplit('/', 1)[-1]}")
    assert run["scenario"] == "trace" and run["status"] == "succeeded"
    assert run["result"]["dropped_events"] == 0 and run["result"]["instrumentation_errors"] == 0

    page = browser.page
    page.goto(url)
    page.wait_for_selector("mp-timeline[data-ended=true]", timeout=30_000)
    panel = page.locator("[data-view=trace][data-final=true]")
    panel.wait_for(timeout=10_000)
    # main, producer, consumer, the Manager's server and two Pool workers: a lane and a row each
    assert int(panel.get_attribute("data-processes") or 0) == run["result"]["processes"] == 6
    locks = (panel.get_attribute("data-locks") or "").split(",")
    # the program's own Lock; not the Value's and Array's locks, which only multiprocessing takes inside
    assert locks == ["lock"], locks
    assert panel.get_attribute("data-queues") == "q"
    # Pool(2): which worker takes which chunk is the pool's business; at least one ran them
    assert panel.get_attribute("data-workers") in ("1", "2")
    assert page.locator("#run-header").get_by_text("trace: dashboard_demo.py").count() == 1
    item = page.locator(f"#run-list .run-item[data-run-id='{run['id']}']")  # other tests trace it too
    item.get_by_text("trace: dashboard_demo.py").wait_for(timeout=10_000)
    assert page.get_by_role("button", name="Run again").is_hidden()
    page.locator("#source-panel summary").click()
    assert "dashboard_demo.py" in page.locator("#source-panel summary").inner_text()
    assert "def producer(q, n, lock, total):" in page.locator("#source-panel").inner_text()
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trace-run.png"))
    page.locator("[data-lang=zh], button:has-text('中文')").first.click()
    panel.get_by_text("共享數值（Value）").wait_for(timeout=5_000)
    page.screenshot(path=str(ARTIFACTS / "trace-run-zh.png"))
    # No uncaught exception and no console error on the way (the browser fixture checks it too).
    assert browser.errors == []


THREADS_VS_PROCESSES = Path(__file__).parent.parent / "trace_programs" / "threads_vs_processes.py"


def cores_busy(events: list[dict[str, Any]], start: str, end: str) -> tuple[int, float]:
    """What the panel must show for one group, from the run's own events: how many ended with their
    CPU time, and CPU seconds / wall seconds (first start to last end)."""
    spans: dict[str, dict[str, float]] = {}
    for e in events:
        lane = f"{e['pid']}/{e['proc']}"
        if e["kind"] == start:
            spans.setdefault(lane, {})["start"] = e["t"]
        elif e["kind"] == end and "cpu_s" in e["data"]:
            spans.setdefault(lane, {}).update(end=e["t"], cpu=e["data"]["cpu_s"])
    done = [x for x in spans.values() if {"start", "end", "cpu"} <= x.keys()]
    wall = (max(x["end"] for x in done) - min(x["start"] for x in done)) / 1e9
    return len(done), sum(x["cpu"] for x in done) / wall


def test_a_traced_program_shows_threads_against_processes(live_server: Any, browser: Browser) -> None:
    """The GIL lesson's view for a traced program: the cores its threads and its child processes kept
    busy, from thread.exit's and process.exit's cpu_s, as the run's events say."""
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--server", live_server.url, str(THREADS_VS_PROCESSES)]
        + ["spawn"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    url = next(line.split()[-1] for line in done.stderr.splitlines() if "/runs/" in line)
    run_id = url.rsplit("/", 1)[-1]
    events = get_json(f"{live_server.url}/api/runs/{run_id}/events")
    threads, threads_busy = cores_busy(events, "thread.start", "thread.exit")
    processes, processes_busy = cores_busy(events, "process.start", "process.exit")
    assert (threads, processes) == (2, 2)

    page = browser.page
    page.goto(url)
    page.wait_for_selector("[data-view=trace][data-final=true]", timeout=30_000)
    cores = page.locator(".trace-cores")
    assert cores.get_attribute("data-threads") == "2" and cores.get_attribute("data-processes") == "2"
    assert cores.get_attribute("data-threads-busy") == f"{threads_busy:.1f}"
    assert cores.get_attribute("data-processes-busy") == f"{processes_busy:.1f}"
    assert cores.get_attribute("data-verdict") in ("processes-more", "threads-more", "about-equal", "waiting")
    assert cores.get_by_text("2 threads").count() == 1 and cores.get_by_text("2 processes").count() == 1
    cores.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trace-cores.png"))
    page.locator("[data-lang=zh], button:has-text('中文')").first.click()
    cores.get_by_text("2 個線程").wait_for(timeout=5_000)
    page.screenshot(path=str(ARTIFACTS / "trace-cores-zh.png"))
    assert browser.errors == []


SHM_SEGMENT = Path(__file__).parent.parent / "trace_programs" / "shm_segment.py"


def test_a_traced_segment_says_shm_buf_is_not_traced(live_server: Any, browser: Browser) -> None:
    """Issue 14: raw access to shm.buf cannot be traced per byte, and the run page says so in words,
    under the shared memory table, in both languages; the segment's row has its size."""
    done = subprocess.run(
        [sys.executable, "-m", "app", "trace", "--server", live_server.url, str(SHM_SEGMENT), "fork"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    url = next(line.split()[-1] for line in done.stderr.splitlines() if "/runs/" in line)
    page = browser.page
    page.goto(url)
    panel = page.locator("[data-view=trace][data-final=true]")
    panel.wait_for(timeout=30_000)
    panel.get_by_text("through shm.buf cannot be traced").wait_for(timeout=5_000)
    assert panel.locator("td", has_text="16").count() >= 1  # the segment's 16 bytes
    # processes but no threads: nothing to compare, no threads-against-processes panel
    assert panel.locator(".trace-cores").count() == 0
    page.locator("[data-lang=zh], button:has-text('中文')").first.click()
    panel.get_by_text("透過 shm.buf 讀寫區段的位元組無法追蹤").wait_for(timeout=5_000)
    panel.get_by_text("無法追蹤").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trace-shm-zh.png"))
    assert browser.errors == []
