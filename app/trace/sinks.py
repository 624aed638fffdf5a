"""Where a trace's events go: an NDJSON file (no server at all) or an mpscope server's ingest API.

Both take wire tuples from the collector thread and never block the traced program: the program
writes to the collector's socket, and a slow or gone server only costs the tracer (counted, shown).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from http.client import HTTPConnection

    from app.events import WireEvent

# app.events, app.jsonio (orjson) and the run's metadata are imported where first used, not here: they
# cost a trace ~30 ms, which the tracer pays while the program starts (see tracer.py) rather than before.

POST_EVERY_S = 0.05
HEARTBEAT_S = 5.0
MAX_BATCH = 5000
MAX_BYTES = 4 * 1024 * 1024  # half the ingest's limit per request


class Sink(Protocol):
    url: str | None
    # True: the tracer starts the program, then opens the sink (its imports overlap the program's
    # start-up); the collector delivers nothing before the sink is open, as the events wait in the socket
    program_first: bool

    def open(self, start: dict[str, Any]) -> None: ...
    def add(self, batch: list[WireEvent]) -> None: ...
    def close(self, exitcode: int | None, result: dict[str, Any], dropped: int) -> None: ...


# Events a FileSink writes with the stdlib's json before it takes orjson (~4 us an event slower, and
# ~15 ms to import): about where the import pays for itself.
STDLIB_EVENTS = 5000


class FileSink:
    """The run as NDJSON, exactly what `mpscope export --format ndjson` writes; `mpscope import` reads it."""

    program_first = True  # nothing to show before the program runs: it starts, then the file opens

    def __init__(self, path: str, t0: int) -> None:
        self.url: str | None = None
        self.path, self.t0 = path, t0
        self.run = os.urandom(4).hex()  # as secrets.token_hex(4), without importing hmac and hashlib
        self.seq = 0
        self.file = open(path, "wb")  # noqa: SIM115 - open for the whole trace
        self.lock = threading.Lock()

    def _server_event(self, kind: str, data: dict[str, Any]) -> None:
        from app.events import SERVER_PROC

        self.add([(time.monotonic_ns() - self.t0, os.getpid(), SERVER_PROC, kind, data)])

    def open(self, start: dict[str, Any]) -> None:
        start = dict(start)
        start.pop("t0", None)
        self._server_event("run.start", start)

    def add(self, batch: list[WireEvent]) -> None:
        from app import jsonio
        from app.events import encode_wires

        with self.lock:
            # A short program's few events in the stdlib's JSON (the same bytes): importing orjson
            # would cost its run more than it saves; past STDLIB_EVENTS it pays for itself.
            dumps = jsonio.dumps_std if self.seq < STDLIB_EVENTS else None
            lines = encode_wires(self.run, self.seq, batch, dumps)
            self.seq += len(batch)
            self.file.write(b"\n".join(lines) + b"\n")
            self.file.flush()  # a hung program's file shows everything up to the hang

    def close(self, exitcode: int | None, result: dict[str, Any], dropped: int) -> None:
        from app.engine import trace_meta as meta

        self._server_event("run.result", result)
        error = meta.describe(exitcode)
        end = {
            "status": "succeeded" if error is None else "failed",
            "result": result["result"],
            "error": error,
            "dropped_events": dropped,
            "event_count": self.seq + 1,
            "wall_time": time.time(),
        }
        self._server_event("run.end", end)
        self.file.close()


class ServerSink:
    """Posts batches to a server's /api/traces ingest from a thread of its own, every 50 ms."""

    program_first = False  # the run's URL is printed before the program's first output

    def __init__(self, server: str, token: str | None) -> None:
        import urllib.parse  # here: the --out path has no use for HTTP

        self.server, self.token = server.rstrip("/"), token
        parts = urllib.parse.urlsplit(self.server)
        if parts.scheme != "http" or not parts.netloc:
            raise ConnectionError(f"{server}: expected http://HOST:PORT (the tracer talks to a local server)")
        self.netloc = parts.netloc
        self.conn: HTTPConnection | None = None
        self.url: str | None = None
        self.run: str | None = None
        self.pending: list[WireEvent] = []
        self.lock = threading.Lock()
        self.lost = 0
        self.warned = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mpscope-trace-sender", daemon=True)

    def request(self, path: str, body: Any) -> tuple[int, Any]:
        """POST JSON on one kept-alive connection (reopened once if the server closed it)."""
        from http.client import HTTPConnection, HTTPException

        from app import jsonio

        data = jsonio.dumps(body)
        headers = {"Content-Type": "application/json", "Host": self.netloc}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            try:
                if self.conn is None:
                    self.conn = HTTPConnection(self.netloc, timeout=30)
                self.conn.request("POST", path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                try:
                    answer = json.loads(raw or b"null")
                except ValueError:
                    answer = raw[:200].decode(errors="replace")
                if response.status >= 400 and isinstance(answer, dict):
                    answer = answer.get("detail")
                return response.status, answer
            except (OSError, HTTPException) as exc:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    return 0, f"cannot reach {self.server}: {exc}"
        return 0, None

    def open(self, start: dict[str, Any]) -> None:
        params = start["params"]
        opening = {
            "script": params["script"],
            "argv": params["argv"],
            "source": start["source"],
            "t0": start["t0"],
        }
        status, body = self.request("/api/traces", opening)
        if status != 201:
            raise ConnectionError(f"{self.server} refused the trace: HTTP {status}: {body}")
        self.run, self.url = body["id"], f"{self.server}/runs/{body['id']}"
        self._thread.start()

    def add(self, batch: list[WireEvent]) -> None:
        with self.lock:
            self.pending.extend(batch)

    def _post_pending(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        for part in _parts(batch) if batch else [[]]:
            status, body = self.request(f"/api/traces/{self.run}/events", part)
            if status != 200:
                self.lost += len(part)
                if not self.warned:
                    self.warned = True
                    print(
                        f"mpscope trace: the server did not take events: HTTP {status}: {body}",
                        file=sys.stderr,
                    )

    def _loop(self) -> None:
        last = time.monotonic()
        while not self._done.wait(POST_EVERY_S):
            if self.pending or time.monotonic() - last > HEARTBEAT_S:
                self._post_pending()
                last = time.monotonic()

    def close(self, exitcode: int | None, result: dict[str, Any], dropped: int) -> None:
        self._done.set()
        self._thread.join()
        self._post_pending()
        body = {"exitcode": exitcode, "result": result["result"], "dropped": dropped + self.lost}
        status, detail = self.request(f"/api/traces/{self.run}/end", body)
        if status != 200:
            print(f"mpscope trace: could not end the run: HTTP {status}: {detail}", file=sys.stderr)


def _parts(batch: list[WireEvent]) -> list[list[WireEvent]]:
    """Split a batch under the ingest's limits: MAX_BATCH events and about MAX_BYTES of JSON."""
    from app import jsonio

    parts: list[list[WireEvent]] = [[]]
    size = 0
    for wire in batch:
        n = len(jsonio.dumps(wire[4], default=repr)) + 64
        if len(parts[-1]) >= MAX_BATCH or (parts[-1] and size + n > MAX_BYTES):
            parts.append([])
            size = 0
        parts[-1].append(wire)
        size += n
    return parts
