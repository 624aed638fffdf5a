"""A code run's stdout and stderr, read as they are written and handed on as `output` events.

One thread reads both pipes. Text goes out a line or a few lines at a time (at most CHUNK characters
an event), and a partial line waits at most FLUSH_S for the rest of it. Past the run's output budget
the rest is read and dropped (said once, on stderr), so a program printing forever cannot fill the
server; the tail of stderr is kept apart to find out why the program failed.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import selectors
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from app import jsonio
from app.events import WireEvent

CHUNK = 4096
FLUSH_S = 0.05
TAIL = 64 * 1024
Deliver = Callable[[list[WireEvent]], None]


class OutputReader:
    def __init__(
        self, stdout: IO[bytes], stderr: IO[bytes], t0: int, pid: int, deliver: Deliver, budget: int
    ) -> None:
        self.streams = {stdout.fileno(): "stdout", stderr.fileno(): "stderr"}
        self.files = (stdout, stderr)
        self.t0, self.pid, self.deliver = t0, pid, deliver
        self.budget = budget
        self.kept = 0
        self.truncated = False
        self.pending = {"stdout": "", "stderr": ""}
        self.decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name in self.pending}
        self.stderr_tail = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"code-output-{pid}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait until both pipes are closed (every process holding them is gone), at most `timeout`."""
        self._thread.join(timeout)
        if self._thread.is_alive():  # something still holds a pipe: stop reading it
            self._stop.set()
            self._thread.join()

    def _loop(self) -> None:
        sel = selectors.DefaultSelector()
        for f in self.files:
            os.set_blocking(f.fileno(), False)
            sel.register(f.fileno(), selectors.EVENT_READ)
        open_fds = set(self.streams)
        while open_fds and not self._stop.is_set():
            ready = sel.select(timeout=FLUSH_S)
            if not ready:
                self._flush_partial()
                continue
            for key, _ in ready:
                fd = int(key.fd)
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                name = self.streams[fd]
                if not data:
                    sel.unregister(fd)
                    open_fds.discard(fd)
                    self._take(name, self.decoders[name].decode(b"", final=True), final=True)
                    continue
                self._take(name, self.decoders[name].decode(data))
        for name in self.pending:
            self._take(name, "", final=True)
        sel.close()
        for f in self.files:
            with contextlib.suppress(OSError):
                f.close()

    def _take(self, name: str, text: str, final: bool = False) -> None:
        if name == "stderr":
            self.stderr_tail = (self.stderr_tail + text)[-TAIL:]
        buf = self.pending[name] + text
        cut = len(buf) if final else buf.rfind("\n") + 1
        if not final and cut == 0 and len(buf) >= CHUNK:
            cut = len(buf)
        self.pending[name] = buf[cut:]
        self._send(name, buf[:cut])

    def _flush_partial(self) -> None:
        for name, buf in self.pending.items():
            if buf:
                self.pending[name] = ""
                self._send(name, buf)

    def _send(self, name: str, text: str) -> None:
        if not text or self.truncated:
            return
        room = self.budget - self.kept
        if len(text) > room:
            text = text[:room]
            self.truncated = True
        self.kept += len(text)
        wires: list[WireEvent] = []
        t = time.monotonic_ns() - self.t0
        while text:
            piece, text = _piece(text)
            wires.append((t, self.pid, "MainProcess", "output", {"stream": name, "text": piece}))
        if self.truncated:
            note = (
                f"\n[mpscope: the program's output passed {self.budget:,} characters; the rest is not kept]\n"
            )
            wires.append((t, self.pid, "MainProcess", "output", {"stream": "stderr", "text": note}))
        if wires:
            self.deliver(wires)


def _piece(text: str) -> tuple[str, str]:
    """At most CHUNK characters of `text`, ending at a line's end where one is near enough."""
    if len(text) <= CHUNK:
        return text, ""
    cut = text.rfind("\n", 0, CHUNK) + 1 or CHUNK
    return text[:cut], text[cut:]


def transcript(run_id: str, encoded: list[bytes]) -> dict[str, Any]:
    """GET /api/runs/{id}/output: a run's output, derived from its stored `output` events (any run's:
    a scenario's is empty)."""
    chunks: list[dict[str, Any]] = []
    joined: dict[str, list[str]] = {"stdout": [], "stderr": []}
    for raw in encoded:
        if b'"kind":"output"' not in raw:
            continue
        event = jsonio.loads(raw)
        data = event.get("data") or {}
        stream, text = data.get("stream"), data.get("text")
        if event.get("kind") != "output" or stream not in joined or not isinstance(text, str):
            continue
        joined[stream].append(text)
        chunks.append({"seq": event["seq"], "t": event["t"], "stream": stream, "text": text})
    return {
        "run": run_id,
        "stdout": "".join(joined["stdout"]),
        "stderr": "".join(joined["stderr"]),
        "chunks": chunks,
    }
