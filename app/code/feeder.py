"""The code feeder: a program typed into the page, run traced and contained, fed into the book.

Like every feeder it uses the book's public API: it opens a run (origin code, its source in run.start),
starts the program in its sandbox, feeds the trace's events and the program's output as they come, and
ends the run with a reason a presenter can act on. Who may start one is the web layer's business.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from typing import Any

from app.code import sandbox as sandboxes
from app.code.output import OutputReader
from app.code.process import MAX_FRAME, CodeProcess, plain_loads
from app.code.sandbox import Sandbox
from app.config import Settings
from app.engine import code_meta, trace_meta
from app.engine.book import RunBook
from app.engine.reaper import Reaper
from app.engine.run import Run, RunStatus
from app.errors import InvalidRequest
from app.events import SERVER_PROC, WireEvent
from app.trace.collector import Collector


class CodeFeeder:
    def __init__(self, book: RunBook, settings: Settings, reaper: Reaper | None = None) -> None:
        self.book = book
        self.settings = settings
        self.limits = settings.code
        self.reaper = reaper
        self._supervisors: dict[str, threading.Thread] = {}

    def unavailable(self) -> str | None:
        """Why no code run can be contained here (no process limit to be had), or None."""
        return sandboxes.process_limit()

    def describe(self) -> dict[str, Any]:
        """The limits every code run gets, and its network, for the page (GET /api/code)."""
        isolated, note = sandboxes.network()
        lim = self.limits
        return {
            "network": "isolated" if isolated else "open",
            "network_note": note,
            "limits": {
                "cpu_s": lim.cpu_s,
                "address_space_mb": lim.address_space_mb,
                "processes": lim.processes,
                "file_size_mb": lim.file_size_mb,
                "open_files": lim.open_files,
                "time_limit_s": self.settings.limits.max_run_seconds,
            },
        }

    async def start(self, source: str, start_method: str | None, args: list[str]) -> Run:
        """Check the source (InvalidRequest, 422, before anything starts), open the run, start it."""
        problems = code_meta.problems(source, args)
        if problems:
            raise InvalidRequest(problems)
        method = start_method or self.settings.start_method
        t0 = time.monotonic_ns()
        run = self.book.open(code_meta.spec(source, method, args), t0_ns=t0)
        self.book.start(run.id)  # before any event of the program's: they are fed as they come
        loop = asyncio.get_running_loop()

        def deliver(wires: list[WireEvent]) -> None:  # on a collector, reader or supervisor thread
            loop.call_soon_threadsafe(self._feed, run.id, wires)

        try:
            control = await asyncio.to_thread(self._launch, run.id, source, method, args, t0, deliver)
        except Exception as exc:
            self.book.end(run.id, RunStatus.FAILED, f"could not start: {exc}")
            return run
        self.book.attach(run.id, control)

        def supervise() -> None:
            control.supervise(self.settings.limits.max_run_seconds)
            loop.call_soon_threadsafe(self._finish, run.id, control)

        thread = threading.Thread(target=supervise, name=f"code-{run.id}", daemon=True)
        self._supervisors[run.id] = thread
        thread.start()
        return run

    def _launch(
        self, run_id: str, source: str, method: str, args: list[str], t0: int, deliver: Any
    ) -> CodeProcess:
        isolated, _ = sandboxes.network()
        sandboxes.hide_server()
        box = Sandbox(run_id, source, self.limits)
        collector = Collector(deliver, on_pid=box.seen.add, loads=plain_loads, max_frame=MAX_FRAME)
        try:
            env = box.environment(f"{t0}:{collector.path}", method)
            popen = subprocess.Popen(
                box.command(args, env, isolated),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=box.dir,
                start_new_session=True,  # its own session and process group
                close_fds=True,
            )
        except Exception:
            collector.stop(grace=0)
            box.close()
            raise
        box.pgid = popen.pid
        if self.reaper is not None:
            self.reaper.watch(popen.pid)
        collector.start()
        assert popen.stdout is not None and popen.stderr is not None
        output = OutputReader(popen.stdout, popen.stderr, t0, popen.pid, deliver, self.limits.output_bytes)
        output.start()
        start = {"ppid": os.getpid(), "role": "main", "start_method": method}
        deliver([(time.monotonic_ns() - t0, popen.pid, "MainProcess", "process.start", start)])
        return CodeProcess(run_id, t0, box, collector, popen, output, deliver, isolated)

    def _feed(self, run_id: str, wires: list[WireEvent]) -> None:
        if self.book.is_live(run_id):
            self.book.feed_wires(run_id, wires)

    def _finish(self, run_id: str, control: CodeProcess) -> None:
        self._supervisors.pop(run_id, None)
        if self.reaper is not None:
            self.reaper.forget(control.popen.pid)
        if not self.book.is_live(run_id):
            return
        status, reason, error = control.outcome()
        t = self.book.t_ns(run_id)
        pid = control.popen.pid
        wires: list[WireEvent] = [(t, pid, "MainProcess", "process.exit", {"exitcode": control.exitcode})]
        if error is not None:
            wires.append((t, os.getpid(), SERVER_PROC, "run.error", error))
        self.book.feed_wires(run_id, wires)
        collector = control.collector
        result = trace_meta.result_data(
            control.exitcode, len(collector.pids | {pid}), collector.dropped, collector.failures
        )["result"]
        result["killed_leftovers"] = control.leftovers
        text = reason if error is None or reason is None else f"{reason}\n\n{error['traceback']}"
        self.book.end(run_id, status, text, result=result, dropped=collector.dropped)

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Every code run stops (the book asked them to) and is reaped, bounded."""
        self.book.stop_all("server shutting down")
        deadline = time.monotonic() + timeout
        for thread in list(self._supervisors.values()):
            await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))
        await asyncio.sleep(0)
