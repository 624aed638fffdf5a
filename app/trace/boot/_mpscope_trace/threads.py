"""Threads inside a traced process, and the threading and queue primitives the program creates.

Each thread the program starts (and each ThreadPoolExecutor or multiprocessing.dummy worker) reports on
a lane of its own, "<process>/<thread name>" with the process's pid: thread.start and thread.exit from
the thread itself, thread.join_wait / thread.join from whoever joins it. Threads the stdlib starts for
itself (a Queue's feeder, a Pool's handlers, an executor's manager) are not given a lane: what they
report stays on the process's lane, as before.

threading.Lock/RLock are C objects with nothing to hook: the program's `threading.Lock()` (the name in
the threading module, which is what `threading.Lock()` and `from threading import Lock` reach) gives it
a thin wrapper when the caller is the program's code, and the real lock to the stdlib and to us, so the
stdlib's own locks (in Thread, Condition, queue, logging, ...) stay exactly as fast as they were. The
Python classes (Semaphore, Event, Condition, Barrier, queue.Queue) are marked in __init__ when the program
makes them and report from their methods, like their multiprocessing twins, with the same kinds; only
`"api": "threading"` (or `"queue"`) in the data tells them apart.
"""

from __future__ import annotations

import _thread
import os
import sys
import threading
import time

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

# Code in these directories is not the program's: the stdlib (its site-packages aside) and mpscope.
_STDLIB = os.path.dirname(threading.__file__) + os.sep
_SITE = os.path.join(_STDLIB, "site-packages") + os.sep
_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_LANED_TARGETS = ("concurrent.futures.thread",)  # ThreadPoolExecutor's workers get a lane


def program_frame(depth: int) -> Any:
    """The frame `depth` levels up from our caller, if it is the program's code; else None."""
    frame: Any = sys._getframe(depth + 1)
    name: str = frame.f_code.co_filename
    if name.startswith(_OURS) or (name.startswith(_STDLIB) and not name.startswith(_SITE)):
        return None
    if name.startswith("<frozen"):
        return None
    return frame


def patch(a: Agent) -> None:
    _patch_thread(a)
    _patch_locks(a)
    _patch_semaphore(a)
    _patch_event(a)
    _patch_condition(a)
    _patch_barrier(a)
    # queue.Queue and SimpleQueue: when the queue module is first imported (__init__.LAZY)


# -- threads ---------------------------------------------------------------------------------------
def _patch_thread(a: Agent) -> None:
    th = threading.Thread
    orig_start, orig_join = th.start, th.join

    def start(self: Any) -> None:
        try:
            target = getattr(self, "_target", None)
            laned = (
                program_frame(1) is not None
                or getattr(target, "__module__", None) in _LANED_TARGETS
                or type(self).__name__ == "DummyProcess"  # a multiprocessing.dummy / ThreadPool worker
            )
            if laned:
                self._mpscope = True
                run = self.run

                def traced_run() -> None:
                    ident = _thread.get_ident()
                    lane = f"{a.proc}/{self.name}"
                    if lane in a.lanes.values():  # a live thread of the same name has it: one lane each
                        lane = f"{lane} [{ident}]"
                    self._mpscope_lane = a.lanes[ident] = lane
                    try:
                        a.emit("thread.start", {"thread": self.name, "ident": ident})
                    except Exception:
                        a.failed()
                    try:
                        run()
                    finally:
                        try:
                            # its own CPU seconds: with its start and end, how much of a core it kept
                            # busy (the GIL view of threads against processes, docs/trace.md)
                            cpu = round(time.thread_time(), 6)
                            a.emit("thread.exit", {"thread": self.name, "ident": ident, "cpu_s": cpu})
                        except Exception:
                            a.failed()
                        a.lanes.pop(ident, None)

                self.run = traced_run
        except Exception:
            a.failed()
        orig_start(self)

    def join(self: Any, timeout: float | None = None) -> None:
        laned = getattr(self, "_mpscope", False) and program_frame(1) is not None
        if laned:
            try:
                if self.is_alive() and timeout != 0:
                    a.emit_and_flush("thread.join_wait", {"thread": self.name})
            except Exception:
                a.failed()
        orig_join(self, timeout)
        if laned and not self.is_alive() and not getattr(self, "_mpscope_joined", False):
            self._mpscope_joined = True
            try:
                data = {"thread": self.name, "ident": self.ident}
                lane = getattr(self, "_mpscope_lane", f"{a.proc}/{self.name}")
                a.emit("thread.join", data, proc=lane)
            except Exception:
                a.failed()

    th.start, th.join = start, join  # type: ignore[method-assign]


# -- Lock and RLock --------------------------------------------------------------------------------
class TracedLock:
    """What the program's threading.Lock()/RLock() gives it: the real lock, reporting like a
    multiprocessing Lock (lock.wait only when it would block, lock.acquired, lock.released)."""

    __slots__ = ("_lock", "_a", "_named", "_mpscope", "__weakref__")

    def __init__(self, a: Agent, lock: Any, name: str) -> None:
        self._lock, self._a = lock, a
        self._named = {"lock": name, "api": "threading"}
        self._mpscope = ("lock", name, 0)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        a = self._a
        if not blocking and timeout != -1:
            self._lock.acquire(False, timeout)  # raises, as the lock itself does (a timeout without a wait)
        if self._lock.acquire(False):
            a.note("lock.acquired", self._named)
            return True
        if not blocking:
            return False
        a.emit_and_flush("lock.wait", self._named)
        got: bool = self._lock.acquire(True, timeout)
        a.note("lock.acquired" if got else "lock.timeout", self._named)
        return got

    def release(self) -> None:
        self._a.note("lock.released", self._named)
        self._lock.release()
        self._a.send_if_due()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *args: Any) -> None:
        self.release()

    def locked(self) -> bool:
        return bool(self._lock.locked())

    def __getattr__(self, name: str) -> Any:  # _at_fork_reinit, an RLock's _is_owned, _release_save, ...
        return getattr(self._lock, name)

    def __repr__(self) -> str:
        return repr(self._lock)


def _patch_locks(a: Agent) -> None:
    real_lock, real_rlock = threading.Lock, threading.RLock

    def make(real: Any, kind: str) -> Any:
        def build(args: Any, kwargs: Any) -> Any:
            """Called by factory, or by the class's __call__ on 3.13+: the program is two frames up
            either way (one frame more, as it was, missed the program and traced no Lock on 3.13+)."""
            lock = real(*args, **kwargs)
            try:
                frame = program_frame(2)
                if frame is not None:
                    return TracedLock(a, lock, labels.label(kind, frame))
            except Exception:
                a.failed()
            return lock

        def factory(*args: Any, **kwargs: Any) -> Any:
            return build(args, kwargs)

        factory.__name__ = factory.__qualname__ = kind
        factory.__module__ = "threading"
        if not isinstance(real, type):  # a function, as the stdlib's own is (Lock before 3.13, RLock)
            return factory
        return _as_class(real, kind, build)

    threading.Lock = make(real_lock, "Lock")
    threading.RLock = make(real_rlock, "RLock")


def _as_class(real: type, kind: str, build: Any) -> Any:
    """Python 3.13+ made threading.Lock the lock's class itself, so `isinstance(x, threading.Lock)` is
    legal there: ours stays a class that answers it as the real one does, for real locks and for the
    program's traced ones alike, and that makes locks through `build` when called."""

    class Meta(type):
        def __call__(cls, *args: Any, **kwargs: Any) -> Any:
            return build(args, kwargs)

        def __instancecheck__(cls, obj: Any) -> bool:
            if isinstance(obj, TracedLock):
                obj = object.__getattribute__(obj, "_lock")
            return isinstance(obj, real)

        def __subclasscheck__(cls, sub: Any) -> bool:
            return sub is TracedLock or issubclass(sub, real)

    return Meta(kind, (), {"__module__": "threading", "__qualname__": kind, "__doc__": real.__doc__})


def _mark(obj: Any, family: str, kind: str, depth: int = 2) -> bool:
    frame = program_frame(depth)
    if frame is None:
        return False
    obj.__dict__[MARK] = (family, labels.label(kind, frame), 0)
    return True


def _name(obj: Any) -> str | None:
    mark = obj.__dict__.get(MARK)
    return None if mark is None else str(mark[1])


# -- Semaphore, BoundedSemaphore -------------------------------------------------------------------
def _patch_semaphore(a: Agent) -> None:
    sem, bounded = threading.Semaphore, threading.BoundedSemaphore
    orig_init, orig_acquire, orig_release = sem.__init__, sem.acquire, sem.release
    orig_bounded_release = bounded.release

    def init(self: Any, value: int = 1) -> None:
        orig_init(self, value)
        try:
            # BoundedSemaphore.__init__ calls this one: the program is one frame further out
            depth = 2 if type(self) is bounded else 1
            if _mark(self, "semaphore", type(self).__name__, depth + 1):
                self._mpscope_initial = value
        except Exception:
            a.failed()

    def inside(self: Any, name: str, less: int = 0) -> dict[str, Any]:
        return {"semaphore": name, "inside": self._mpscope_initial - self._value - less, "api": "threading"}

    def acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
        name = _name(self)
        if name is None or (not blocking and timeout is not None):  # the latter raises, as it should
            return bool(orig_acquire(self, blocking, timeout))
        if orig_acquire(self, False):
            a.note("semaphore.acquired", inside(self, name))
            return True
        if not blocking:
            return False
        a.emit_and_flush("semaphore.wait", {"semaphore": name, "api": "threading"})
        got = bool(orig_acquire(self, True, timeout))
        if got:
            a.note("semaphore.acquired", inside(self, name))
        return got

    def releaser(orig: Any) -> Any:
        def release(self: Any, n: int = 1) -> None:
            name = _name(self)
            if name is not None:
                a.note("semaphore.released", inside(self, name, n))
            orig(self, n)
            if name is not None:
                a.send_if_due()

        return release

    def enter(self: Any) -> bool:
        return bool(self.acquire())

    sem.__init__ = init  # type: ignore[method-assign]
    sem.acquire = sem.__enter__ = acquire  # type: ignore[method-assign]
    bounded.__enter__ = enter  # type: ignore[method-assign,assignment]
    sem.release = releaser(orig_release)  # type: ignore[method-assign]
    bounded.release = releaser(orig_bounded_release)  # type: ignore[method-assign]


# -- Event, Condition, Barrier ---------------------------------------------------------------------
def _patch_event(a: Agent) -> None:
    ev = threading.Event
    orig_init, orig_set, orig_clear, orig_wait = ev.__init__, ev.set, ev.clear, ev.wait

    def init(self: Any) -> None:
        orig_init(self)
        try:
            _mark(self, "event", "Event")
        except Exception:
            a.failed()

    def set_(self: Any) -> None:
        name = _name(self)
        if name is not None:
            a.emit("event.set", {"event": name, "api": "threading"})
        orig_set(self)

    def clear(self: Any) -> None:
        name = _name(self)
        if name is not None:
            a.emit("event.clear", {"event": name, "api": "threading"})
        orig_clear(self)

    def wait(self: Any, timeout: float | None = None) -> bool:
        name = _name(self)
        if name is not None:
            a.emit_and_flush("event.wait", {"event": name, "api": "threading"})
        ok = bool(orig_wait(self, timeout))
        if name is not None:
            a.emit("event.passed", {"event": name, "set": ok, "api": "threading"})
        return ok

    ev.__init__, ev.set, ev.clear, ev.wait = init, set_, clear, wait  # type: ignore[method-assign]


def _patch_condition(a: Agent) -> None:
    cond = threading.Condition
    orig_init, orig_wait, orig_notify = cond.__init__, cond.wait, cond.notify

    def init(self: Any, lock: Any = None) -> None:
        orig_init(self, lock)
        try:
            _mark(self, "condition", "Condition")
        except Exception:
            a.failed()

    def wait(self: Any, timeout: float | None = None) -> bool:
        name = _name(self)
        if name is not None:
            a.emit_and_flush("condition.wait", {"condition": name, "api": "threading"})
        ok = bool(orig_wait(self, timeout))
        if name is not None:
            a.emit("condition.woken", {"condition": name, "notified": ok, "api": "threading"})
        return ok

    def notify(self: Any, n: int = 1) -> None:
        name = _name(self)
        if name is not None:
            a.emit("condition.notify", {"condition": name, "n": n, "api": "threading"})
        orig_notify(self, n)

    def notify_all(self: Any) -> None:
        name = _name(self)
        if name is not None:
            a.emit("condition.notify", {"condition": name, "n": "all", "api": "threading"})
        orig_notify(self, len(self._waiters))  # the stdlib's notify_all calls self.notify: not twice

    cond.__init__, cond.wait, cond.notify = init, wait, notify  # type: ignore[method-assign]
    cond.notify_all = notify_all  # type: ignore[method-assign]


def _patch_barrier(a: Agent) -> None:
    bar = threading.Barrier
    orig_init, orig_wait = bar.__init__, bar.wait

    def init(self: Any, parties: int, action: Any = None, timeout: float | None = None) -> None:
        orig_init(self, parties, action, timeout)
        try:
            _mark(self, "barrier", "Barrier")
        except Exception:
            a.failed()

    def wait(self: Any, timeout: float | None = None) -> int:
        name = _name(self)
        if name is not None:
            a.emit_and_flush("barrier.wait", {"barrier": name, "parties": self.parties, "api": "threading"})
        index = int(orig_wait(self, timeout))
        if name is not None:
            a.emit("barrier.passed", {"barrier": name, "index": index, "api": "threading"})
        return index

    # multiprocessing's Barrier inherits threading's wait: sync.py wraps the stdlib's own, not this one
    # (which would report each wait twice), whichever of the two is patched first
    wait.__wrapped__ = orig_wait  # type: ignore[attr-defined]
    bar.__init__, bar.wait = init, wait  # type: ignore[method-assign]


# -- queue.Queue (LifoQueue, PriorityQueue) and queue.SimpleQueue ------------------------------------
def patch_queue(a: Agent) -> None:
    import _queue
    import queue

    qq = queue.Queue
    orig_init, orig_put, orig_get = qq.__init__, qq.put, qq.get
    orig_done, orig_join = qq.task_done, qq.join

    def init(self: Any, maxsize: int = 0) -> None:
        orig_init(self, maxsize)
        try:
            _mark(self, "queue", type(self).__name__)
        except Exception:
            a.failed()

    def put(self: Any, item: Any, block: bool = True, timeout: float | None = None) -> None:
        name = _name(self)
        if name is None:
            return orig_put(self, item, block, timeout)
        if block and 0 < self.maxsize <= self.qsize():
            a.emit_and_flush("queue.wait_put", {"queue": name, "depth": self.qsize(), "api": "queue"})
        orig_put(self, item, block, timeout)
        a.emit("queue.put", {"queue": name, "item": labels.show(item), "depth": self.qsize(), "api": "queue"})
        return None

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        name = _name(self)
        if name is None:
            return orig_get(self, block, timeout)
        if block and not self.qsize():
            a.emit_and_flush("queue.wait_get", {"queue": name, "depth": 0, "api": "queue"})
        item = orig_get(self, block, timeout)
        a.emit("queue.get", {"queue": name, "item": labels.show(item), "depth": self.qsize(), "api": "queue"})
        return item

    def task_done(self: Any) -> None:
        orig_done(self)
        name = _name(self)
        if name is not None:
            a.emit("queue.task_done", {"queue": name, "api": "queue"})

    def join(self: Any) -> None:
        name = _name(self)
        if name is not None:
            a.emit_and_flush("queue.join_wait", {"queue": name, "api": "queue"})
        orig_join(self)
        if name is not None:
            a.emit("queue.joined", {"queue": name, "api": "queue"})

    qq.__init__, qq.put, qq.get = init, put, get  # type: ignore[method-assign]
    qq.task_done, qq.join = task_done, join  # type: ignore[method-assign]

    real_simple: Any = _queue.SimpleQueue

    class SimpleQueue(real_simple):  # type: ignore[misc]
        """queue.SimpleQueue is a C type: the program's get a subclass that reports; the stdlib's
        (a ThreadPool's task queues, ...) stay the C type itself."""

        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            frame = program_frame(1)
            if frame is None and cls is SimpleQueue:
                return real_simple()
            obj = super().__new__(cls)
            if frame is not None:
                obj.__dict__[MARK] = ("queue", labels.label("SimpleQueue", frame), 0)
            return obj

        def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
            super().put(item, block, timeout)
            name = _name(self)
            if name is not None:
                a.emit("queue.put", {"queue": name, "item": labels.show(item), "api": "queue"})

        def put_nowait(self, item: Any) -> None:
            self.put(item, False)

        def get(self, block: bool = True, timeout: float | None = None) -> Any:
            name = _name(self)
            if name is not None and block and self.empty():
                a.emit_and_flush("queue.wait_get", {"queue": name, "api": "queue"})
            item = super().get(block, timeout)
            if name is not None:
                a.emit("queue.get", {"queue": name, "item": labels.show(item), "api": "queue"})
            return item

        def get_nowait(self) -> Any:
            return self.get(False)

    SimpleQueue.__module__, SimpleQueue.__qualname__ = "queue", "SimpleQueue"
    queue.SimpleQueue = SimpleQueue  # type: ignore[misc]
