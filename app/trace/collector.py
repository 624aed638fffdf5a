"""The tracer's end of the event sockets: accept every traced process, read its batches in a thread.

Each traced process connects to a Unix socket in a fresh 0700 directory (so only this user can) and
writes frames of pickled wire tuples (see boot/_mpscope_trace/agent.py). The collector hands each
batch on in arrival order and keeps the per-process counts the processes report at their end.
"""

from __future__ import annotations

import os
import pickle
import selectors
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from app.events import WireEvent

Deliver = Callable[[list[WireEvent]], None]


class Collector:
    def __init__(self, deliver: Deliver, on_pid: Callable[[int], None] | None = None) -> None:
        self.deliver = deliver
        self.on_pid = on_pid
        self.dir = tempfile.mkdtemp(prefix="mpscope-trace-")
        self.path = os.path.join(self.dir, "events.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.listener, selectors.EVENT_READ, None)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self.sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._grace = 1.0
        self.pids: set[int] = set()
        self.stats: dict[int, dict[str, Any]] = {}  # pid -> its reporter.stats
        self.broken_frames = 0
        self.events = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mpscope-trace-collector", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def dropped(self) -> int:
        return sum(int(s.get("dropped", 0)) for s in self.stats.values()) + self.broken_frames

    @property
    def failures(self) -> int:
        return sum(int(s.get("failures", 0)) for s in self.stats.values())

    def stop(self, grace: float = 1.0) -> None:
        """Read what is still in flight (for at most `grace` seconds once nothing new arrives), then close."""
        self._grace = grace
        self._stop.set()
        self._wake_w.send(b"x")  # the loop need not sit out its select timeout
        self._thread.join()
        self._wake_w.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _loop(self) -> None:
        buffers: dict[socket.socket, bytearray] = {}
        idle_since: float | None = None
        while True:
            ready = [(key, ev) for key, ev in self.sel.select(timeout=0.05) if key.data != "wake"]
            if self._stop.is_set() and not ready:
                if not buffers:  # every traced process has closed its connection
                    break
                now = time.monotonic()
                if idle_since is None:
                    idle_since = now
                elif now - idle_since > self._grace:  # some process outlived the program: stop waiting
                    break
            elif ready:
                idle_since = None
            for key, _ in ready:
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                if sock is self.listener:
                    try:
                        conn, _ = self.listener.accept()
                    except OSError:
                        continue
                    conn.setblocking(False)
                    self.sel.register(conn, selectors.EVENT_READ, None)
                    buffers[conn] = bytearray()
                    continue
                try:
                    chunk = sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self.sel.unregister(sock)
                    sock.close()
                    if buffers.pop(sock, b""):
                        self.broken_frames += 1
                    continue
                buf = buffers[sock]
                buf += chunk
                self._frames(buf)
        for sock in list(buffers):
            self.sel.unregister(sock)
            sock.close()
        self.sel.close()
        self.listener.close()
        self._wake_r.close()

    def _frames(self, buf: bytearray) -> None:
        while len(buf) >= 4:
            (n,) = struct.unpack_from(">I", buf)
            if len(buf) < 4 + n:
                return
            payload = bytes(buf[4 : 4 + n])
            del buf[: 4 + n]
            try:
                batch: list[WireEvent] = pickle.loads(payload)
            except Exception:
                self.broken_frames += 1
                continue
            self._note(batch)
            self.events += len(batch)
            self.deliver(batch)

    def _note(self, batch: list[WireEvent]) -> None:
        for _, pid, _, kind, data in batch:
            if pid not in self.pids:
                self.pids.add(pid)
                if self.on_pid is not None:
                    self.on_pid(pid)
            if kind == "reporter.stats":
                self.stats[pid] = data
