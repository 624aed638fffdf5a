"""The per-process side of tracing: buffer events, send them to the tracer in batches.

Costs about a microsecond per event (a clock read and a list append). A batch is sent when it has
grown, when the last send is 20 ms old, and always right before the process may block (a lock wait,
an empty queue, a join), so a program that hangs still shows everything up to the hang. No thread is
started: a traced program must stay exactly as threaded as it was (fork() of a threaded process warns
on newer Pythons, and that would change its output). A send never blocks for long: after a failed or
timed-out send the process stops sending and counts every later event as dropped, and each process
reports its counts in a final `reporter.stats` event. Frames: 4-byte big-endian length + pickle of a
list of (t, pid, proc, kind, data) tuples, the same wire tuples as the scenarios'.
"""

from __future__ import annotations

import _thread
import itertools
import mmap
import os
import pickle
import signal
import socket
import struct
import time

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

BATCH = 512
FLUSH_NS = 20_000_000
SEND_TIMEOUT_S = 2.0
# A receive that would block first waits this long without sending: in a ping-pong the answer is
# usually there by then, and a send at every wait (the tracer woken each time, on a shared 2-core
# machine) made a 300-round Pipe ping-pong several times slower. A real block still shows at once.
WAIT_GRACE_S = 0.01
_now = now = time.monotonic_ns
_ident = _thread.get_ident
_LAST_WORDS = {signal.SIGTERM, signal.SIGINT} | ({signal.SIGHUP} if hasattr(signal, "SIGHUP") else set())


class Agent:
    """One per process; rebuilt in a forked child by `after_fork`."""

    def __init__(self, address: str, t0: int) -> None:
        self.address = address
        self.t0 = t0
        self.pid = os.getpid()
        self.proc = "MainProcess"
        self.buf: list[tuple[int, int, str, str, dict[str, Any]]] = []
        self.pending: list[tuple[str, dict[str, Any]]] = []  # see emit_in_process
        self.last_flush = _now()
        self.sock: socket.socket | None = None
        self.broken = False
        self.emits = 0
        self._n = itertools.count(1)  # numbers every event (next() is thread-safe, += is not)
        self.produced: Any = [0]  # see _open_counter
        self._open_counter()
        self.emit_ns = 0  # time spent sending batches (an append is ~0.1 us more per event, not timed)
        self.boot_ns = 0  # sitecustomize's import and install, in an interpreter that ran it
        self.connect_ns = 0  # opening the connection to the tracer (part of emit_ns)
        self.dropped = 0
        self.failures = 0  # instrumentation code that raised: the program went on untraced there
        self.finished = False
        self.cpu0 = 0.0  # the process's CPU seconds when its process.start was said (process.py)
        self.lock = _thread.allocate_lock()  # the real one: threading.Lock may be ours (threads.py)
        # thread ident -> its lane "<process>/<thread>", for the threads the program started; any
        # other thread (the main one, the stdlib's own) reports on the process's lane
        self.lanes: dict[int, str] = {}

    def _open_counter(self) -> None:
        """How many events this process has produced, in 8 bytes of a file in the tracer's private
        directory that the tracer reads after the process is gone: what it produced and never sent
        (killed by a signal with a full buffer) is then counted as lost, not silently missing."""
        try:
            path = os.path.join(os.path.dirname(self.address), "counts", str(self.pid))
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.ftruncate(fd, 8)
                self.produced = memoryview(mmap.mmap(fd, 8)).cast("Q")
            finally:
                os.close(fd)
        except (OSError, ValueError):
            self.produced = [0]  # counted here only: a loss would then show as missing events

    def lane(self) -> str:
        return self.lanes.get(_ident(), self.proc) if self.lanes else self.proc

    def on_lane(self, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The lane of the calling thread and the event's data; on a thread's lane, a copy with `tid` (its
        ident), so that every event of a thread names it and its id (its lane's name is its thread's
        name). A copy: callers may pass one dict for many events (a Lock's name, say)."""
        if self.lanes:
            ident = _ident()
            lane = self.lanes.get(ident)
            if lane is not None:
                return lane, {**data, "tid": ident}
        return self.proc, data

    def emit(self, kind: str, data: dict[str, Any], pid: int = 0, proc: str = "") -> None:
        now = _now()
        if not proc:
            proc, data = self.on_lane(data)
        self.buf.append((now - self.t0, pid or self.pid, proc, kind, data))
        self.produced[0] = next(self._n)
        if len(self.buf) >= BATCH or now - self.last_flush > FLUSH_NS or self.finished:
            self.flush()

    def emit_in_process(self, kind: str, data: dict[str, Any]) -> None:
        """Emit, or, in a spawned child still unpickling its Process (it has no name yet: its events
        would land on a "MainProcess" lane), keep it for right after its process.start."""
        from multiprocessing import process

        if getattr(process.current_process(), "_inheriting", False):
            self.pending.append((kind, data))
        else:
            self.emit(kind, data)

    def note(self, kind: str, data: dict[str, Any]) -> None:
        """Emit without sending: for a step inside the program's own critical section (a lock just
        taken or about to be let go), where a send that blocks would hold up every other process."""
        proc, data = self.on_lane(data)
        self.buf.append((_now() - self.t0, self.pid, proc, kind, data))
        self.produced[0] = next(self._n)

    def send_if_due(self) -> None:
        if len(self.buf) >= BATCH or _now() - self.last_flush > FLUSH_NS or self.finished:
            self.flush()

    def emit_and_flush(self, kind: str, data: dict[str, Any]) -> None:
        """For the step right before a possible block: whoever watches must see it now."""
        proc, data = self.on_lane(data)
        self.buf.append((_now() - self.t0, self.pid, proc, kind, data))
        self.produced[0] = next(self._n)
        self.flush()

    def failed(self) -> None:
        self.failures += 1
        if os.environ.get("MPSCOPE_TRACE_DEBUG"):
            import traceback

            traceback.print_exc()

    def flush(self) -> None:
        if not self.buf:
            return
        with self.lock:
            # in place: another thread may be appending to this very list right now
            buf = self.buf
            n = len(buf)
            batch = buf[:n]
            del buf[:n]
            if not batch:  # another thread sent it all while we waited for the lock
                return
            start = self.last_flush = _now()
            try:
                self._send(batch)
            finally:
                self.emit_ns += _now() - start

    def _send(self, batch: list[tuple[int, int, str, str, dict[str, Any]]]) -> None:
        if self.broken:
            self.dropped += len(batch)
            return
        try:
            payload = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            self.dropped += len(batch)
            return
        try:
            if self.sock is None:
                began = _now()
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(SEND_TIMEOUT_S)
                self.sock.connect(self.address)
                hello = pickle.dumps(("hello", self.pid), protocol=pickle.HIGHEST_PROTOCOL)
                self.sock.sendall(struct.pack(">I", len(hello)) + hello)  # whose events these are
                self.connect_ns = _now() - began
            self.sock.sendall(struct.pack(">I", len(payload)) + payload)
        except OSError:
            self.broken = True
            self.dropped += len(batch)

    def finish(self, exitcode: int | None) -> None:
        """The process is about to end: its own exit, its counts, and everything still buffered."""
        if self.produced[0] == 0 or self.finished:  # a stdlib helper (forkserver, ...), or said already
            return
        # A Pool's terminate() may SIGTERM a worker that is ending by itself: not in the middle of its
        # last send. Blocked for these few microseconds only; a signal that came is delivered right after.
        try:
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, _LAST_WORDS)
        except (AttributeError, ValueError, OSError):  # no pthread_sigmask (Windows)
            mask = None
        try:
            self._finish(exitcode)
        finally:
            if mask is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    def _finish(self, exitcode: int | None) -> None:
        self.finished = True
        if exitcode is not None:
            # the CPU seconds the process used (all its threads) since its process.start: what its lane
            # shows, without a spawned interpreter's start-up before it
            cpu = round(time.process_time() - self.cpu0, 6)
            self.emit("process.exit", {"exitcode": exitcode, "cpu_s": cpu})
        self.emits = int(self.produced[0])
        stats = {
            "emits": self.emits,
            "emit_ns": self.emit_ns,
            "boot_ns": self.boot_ns,
            "connect_ns": self.connect_ns,
            "dropped": self.dropped,
            "failures": self.failures,
            "traced": True,
        }
        self.buf.append((_now() - self.t0, self.pid, self.proc, "reporter.stats", stats))
        self.flush()
        # The connection stays open until the process is gone: a daemon thread may still report (its
        # thread.exit, say) while the interpreter shuts down, and from now on every event is sent at once.

    def after_fork(self) -> None:
        """In a forked child: a fresh connection, buffer and lock; the parent's belong to the parent."""
        self.pid = os.getpid()
        self.buf = []
        self.sock = None  # the inherited socket stays open in the child but is never written to
        self.lock = _thread.allocate_lock()
        self.lanes = {}  # only the thread that forked lives on, as the child's main thread
        self.emits = self.emit_ns = self.dropped = self.failures = 0
        self.boot_ns = self.connect_ns = 0  # a forked child pays neither its parent's boot nor connect
        self._n = itertools.count(1)
        self._open_counter()  # the parent's counter is shared with us by the fork: one of our own
        self.finished = False
        self.last_flush = _now()
