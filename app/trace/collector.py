"""The tracer's end of the event sockets: accept every traced process, read its batches in a thread.

Each traced process connects to a Unix socket in a fresh 0700 directory (so only this user can) and
writes frames of pickled wire tuples (see boot/_mpscope_trace/agent.py). The collector hands each
batch on in arrival order and keeps the per-process counts the processes report at their end.
"""

from __future__ import annotations

import os
import pickle
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # app.events brings dataclasses and orjson: ~25 ms of a short trace's start-up
    from app.events import WireEvent

Deliver = Callable[[list["WireEvent"]], None]


def _private_dir() -> str:
    """What tempfile.mkdtemp(prefix="mpscope-trace-") makes (a fresh 0700 directory in the temporary
    directory), without importing tempfile (with random, shutil, ...: a few ms of every trace's start)."""
    base = os.environ.get("TMPDIR") or "/tmp"
    for _ in range(100):
        path = os.path.join(base, f"mpscope-trace-{os.urandom(6).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"no free name for a directory in {base}")


MAX_FRAME = 1 << 30


class Collector:
    def __init__(
        self,
        deliver: Deliver,
        on_pid: Callable[[int], None] | None = None,
        loads: Callable[[bytes], Any] = pickle.loads,
        max_frame: int = MAX_FRAME,
    ) -> None:
        """`loads` and `max_frame`: how frames are read and how big one may be. A code run's collector
        (app/code/) reads frames from a program it does not trust with a loader that builds no objects
        but plain data, and drops a sender whose frame is too big."""
        self.deliver = deliver
        self.on_pid = on_pid
        self.loads = loads
        self.max_frame = max_frame
        self.dir = _private_dir()
        self.path = os.path.join(self.dir, "events.sock")
        self.counts = os.path.join(self.dir, "counts")  # each process's count of events it produced
        os.mkdir(self.counts, 0o700)
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
        self.received: dict[int, int] = {}  # sender pid -> events it sent us (its reporter.stats aside)
        self.lost: dict[int, int] = {}  # pid -> events it produced that neither reached us nor it counted
        self._senders: dict[socket.socket, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mpscope-trace-collector", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def dropped(self) -> int:
        reported = sum(int(s.get("dropped", 0)) for s in self.stats.values())
        return reported + self.broken_frames + sum(self.lost.values())

    @property
    def failures(self) -> int:
        return sum(int(s.get("failures", 0)) for s in self.stats.values())

    def stop(self, grace: float = 1.0) -> None:
        """Read what is still in flight (for at most `grace` seconds once nothing new arrives), then close."""
        self._grace = grace
        self._stop.set()
        self._wake_w.send(b"x")  # the loop need not sit out its select timeout
        if self._thread.ident is not None:  # not started if the program could not be
            self._thread.join()
        self._wake_w.close()
        self._count_lost()
        _remove(self.dir)

    def _count_lost(self) -> None:
        """Compare what each process produced (its counter file) with what it sent and what it said it
        dropped: the rest died with it (a SIGKILL, a Pool's terminate()) or was cut off in flight."""
        for name in os.listdir(self.counts):
            try:
                with open(os.path.join(self.counts, name), "rb") as f:
                    raw = f.read(8)
                pid = int(name)
            except (OSError, ValueError):
                continue
            if len(raw) != 8:
                continue
            (produced,) = struct.unpack("=Q", raw)
            said = int(self.stats.get(pid, {}).get("dropped", 0))
            lost = produced - self.received.get(pid, 0) - said
            if lost > 0:
                self.lost[pid] = lost

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
                    self._senders[conn] = 0
                    continue
                try:
                    chunk = sock.recv(1 << 20)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self.sel.unregister(sock)
                    self._senders.pop(sock, None)
                    sock.close()
                    if buffers.pop(sock, b""):
                        self.broken_frames += 1
                    continue
                buf = buffers[sock]
                buf += chunk
                if not self._frames(buf, sock):  # a frame over the limit: this sender is cut off
                    self.sel.unregister(sock)
                    self._senders.pop(sock, None)
                    sock.close()
                    del buffers[sock]
                    self.broken_frames += 1
        for sock in list(buffers):
            self.sel.unregister(sock)
            sock.close()
        self.sel.close()
        self.listener.close()
        self._wake_r.close()

    def _frames(self, buf: bytearray, sock: socket.socket | None = None) -> bool:
        """Hand on every whole frame in `buf`; False if the next one is over `max_frame`."""
        while len(buf) >= 4:
            (n,) = struct.unpack_from(">I", buf)
            if n > self.max_frame:
                return False
            if len(buf) < 4 + n:
                return True
            payload = bytes(buf[4 : 4 + n])
            del buf[: 4 + n]
            try:
                batch: list[WireEvent] = self.loads(payload)
            except Exception:
                self.broken_frames += 1
                continue
            if isinstance(batch, tuple):  # ("hello", pid): the first frame of each connection
                if sock is not None and len(batch) == 2 and batch[0] == "hello":
                    self._senders[sock] = int(batch[1])
                continue
            if sock is not None:
                sender = self._senders.get(sock, 0)
                sent = sum(1 for e in batch if e[3] != "reporter.stats")
                self.received[sender] = self.received.get(sender, 0) + sent
            self._note(batch)
            self.events += len(batch)
            self.deliver(batch)
        return True

    def _note(self, batch: list[WireEvent]) -> None:
        for _, pid, _, kind, data in batch:
            if pid not in self.pids:
                self.pids.add(pid)
                if self.on_pid is not None:
                    self.on_pid(pid)
            if kind == "reporter.stats":
                self.stats[pid] = data


def _remove(path: str) -> None:
    """rm -r of our private directory (its socket, and counts/ with a file per process), without
    shutil: importing it (with lzma and bz2) cost 3-14 ms at the end of every trace, once the program
    had ended. Whatever cannot be removed is left, as rmtree(ignore_errors=True) would."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _remove(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass
