"""Lock, RLock, Semaphore, BoundedSemaphore, Condition, Event and Barrier the program creates."""

from __future__ import annotations

import sys
from multiprocessing import synchronize  # loaded by now: patch() runs when it is imported

from _mpscope_trace import state
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    # The pickling pair of SemLock, Condition and Barrier: their state is a tuple.
    _GetState = Callable[[Any], tuple[Any, ...]]
    _SetState = Callable[[Any, tuple[Any, ...]], None]


def _value(sem: Any) -> int | None:
    """A SemLock's value, or None where the OS cannot tell: macOS has no sem_getvalue(), and there
    _get_value() raises NotImplementedError. A Semaphore is traced there too, without its count."""
    try:
        return int(sem._get_value())
    except NotImplementedError:
        return None


def instrument_semlock(a: Agent, obj: Any) -> None:
    """Give a marked Lock/Semaphore reporting acquire/release methods (instance attributes, as the
    stdlib's own SemLock._make_methods sets them)."""
    family, name, initial = getattr(obj, MARK)
    raw_acquire, raw_release, sem = obj._semlock.acquire, obj._semlock.release, obj._semlock
    waited, acquired, released = f"{family}.wait", f"{family}.acquired", f"{family}.released"
    key = family
    named = {key: name}  # one dict for every event of a Lock: it is never changed, and pickles once per batch
    counted = family == "semaphore" and initial is not None  # None: the OS cannot tell (see _value)

    def inside(after: int = 0) -> dict[str, Any]:
        value = _value(sem) if counted else None
        return named if value is None else {key: name, "inside": initial - value - after}

    def acquire(block: bool = True, timeout: float | None = None) -> bool:
        if raw_acquire(False):
            try:
                a.note(acquired, inside())
            except Exception:
                a.failed()
            return True
        if not block:
            return False
        try:
            a.emit_and_flush(waited, named)
        except Exception:
            a.failed()
        got: bool = raw_acquire(True, timeout)
        try:
            a.note(acquired if got else f"{family}.timeout", inside() if got else named)
        except Exception:
            a.failed()
        return got

    def release() -> None:
        try:
            a.note(released, inside(after=1))
        except Exception:
            a.failed()
        raw_release()
        try:
            a.send_if_due()  # only now: the lock is free while we send
        except Exception:
            a.failed()

    obj.acquire, obj.release = acquire, release


def setup_semlock(a: Agent, obj: Any) -> None:
    """A Lock or Semaphore the program just made (factories.py marked it): its initial value, and its
    reporting methods."""
    family, name, _ = getattr(obj, MARK)
    # A Lock's value is never needed: only a Semaphore's count is reported (see _value).
    initial = _value(obj._semlock) if family == "semaphore" else None
    setattr(obj, MARK, (family, name, initial))
    instrument_semlock(a, obj)


def patch(a: Agent) -> None:
    """The classes of multiprocessing.synchronize, when it is first imported (__init__.LAZY): a program
    that makes no Lock, Semaphore, Event, Condition, Barrier or Queue never loads it (nor tempfile,
    shutil and subprocess, which it imports). The context's factories are factories.py's, from the start."""
    sl = synchronize.SemLock
    # typeshed has no SemLock.__setstate__ (nor __getstate__: object's, returning object): through Any.
    sl_pickling: Any = sl
    orig_getstate: _GetState = sl_pickling.__getstate__
    orig_setstate: _SetState = sl_pickling.__setstate__
    orig_enter, orig_exit = sl.__enter__, sl.__exit__

    def getstate(self: Any) -> Any:
        state = orig_getstate(self)
        mark = getattr(self, MARK, None)
        return state if mark is None else (*state, mark)

    def setstate(self: Any, state: Any) -> None:
        orig_setstate(self, state[:4])
        if len(state) == 5:
            setattr(self, MARK, state[4])
            try:
                instrument_semlock(a, self)
            except Exception:
                a.failed()

    def enter(self: Any) -> Any:
        return self.acquire() if MARK in self.__dict__ else orig_enter(self)

    def exit_(self: Any, *args: Any) -> Any:
        return self.release() if MARK in self.__dict__ else orig_exit(self, *args)

    sl_pickling.__getstate__, sl_pickling.__setstate__ = getstate, setstate
    sl.__enter__, sl.__exit__ = enter, exit_  # type: ignore[method-assign]
    _patch_event(a)
    _patch_condition(a)
    _patch_barrier(a)


def _marked(obj: Any) -> str | None:
    mark = obj.__dict__.get(MARK)
    return None if mark is None else str(mark[1])


def _patch_event(a: Agent) -> None:
    ev = synchronize.Event
    orig_set, orig_clear, orig_wait = ev.set, ev.clear, ev.wait

    def set_(self: Any) -> None:
        name = _marked(self)
        if name is not None:
            a.emit("event.set", {"event": name})
        orig_set(self)

    def clear(self: Any) -> None:
        name = _marked(self)
        if name is not None:
            a.emit("event.clear", {"event": name})
        orig_clear(self)

    def wait(self: Any, timeout: float | None = None) -> bool:
        name = _marked(self)
        if name is not None:
            a.emit_and_flush("event.wait", {"event": name})
        ok: bool = orig_wait(self, timeout)
        if name is not None:
            a.emit("event.passed", {"event": name, "set": ok})
        return ok

    ev.set, ev.clear, ev.wait = set_, clear, wait  # type: ignore[method-assign]


def _patch_condition(a: Agent) -> None:
    cond = synchronize.Condition
    orig_wait, orig_notify, orig_all = cond.wait, cond.notify, cond.notify_all
    cond_pickling: Any = cond  # typeshed has no Condition.__setstate__ (nor __getstate__): through Any
    orig_getstate: _GetState = cond_pickling.__getstate__
    orig_setstate: _SetState = cond_pickling.__setstate__

    def wait(self: Any, timeout: float | None = None) -> bool:
        name = _marked(self)
        if name is not None:
            a.emit_and_flush("condition.wait", {"condition": name})
        ok: bool = orig_wait(self, timeout)
        if name is not None:
            a.emit("condition.woken", {"condition": name, "notified": ok})
        return ok

    def notify(self: Any, n: int = 1) -> None:
        name = _marked(self)
        if name is not None:
            a.emit("condition.notify", {"condition": name, "n": n})
        orig_notify(self, n)

    def notify_all(self: Any) -> None:
        name = _marked(self)
        if name is not None:
            a.emit("condition.notify", {"condition": name, "n": "all"})
            # the stdlib's notify_all calls self.notify(n=sys.maxsize): not ours, or it counts twice
            orig_notify(self, sys.maxsize)
        else:
            orig_all(self)

    def getstate(self: Any) -> Any:
        mark = self.__dict__.get(MARK)
        state = orig_getstate(self)
        return state if mark is None else (state, mark)

    def setstate(self: Any, state: Any) -> None:
        if len(state) == 2 and isinstance(state[0], tuple):
            orig_setstate(self, state[0])
            setattr(self, MARK, state[1])
        else:
            orig_setstate(self, state)

    cond.wait, cond.notify, cond.notify_all = wait, notify, notify_all  # type: ignore[method-assign]
    cond_pickling.__getstate__, cond_pickling.__setstate__ = getstate, setstate


def _patch_barrier(a: Agent) -> None:
    bar = synchronize.Barrier
    # threading.Barrier's wait (inherited), as the stdlib has it: threads.py's, patched at start, says so
    orig_wait = getattr(bar.wait, "__wrapped__", bar.wait)
    bar_pickling: Any = bar  # typeshed has no Barrier.__setstate__ (nor __getstate__): through Any
    orig_getstate: _GetState = bar_pickling.__getstate__
    orig_setstate: _SetState = bar_pickling.__setstate__

    def wait(self: Any, timeout: float | None = None) -> int:
        name = _marked(self)
        if name is not None:
            a.emit_and_flush("barrier.wait", {"barrier": name, "parties": self.parties})
        index: int = orig_wait(self, timeout)
        if name is not None:
            a.emit("barrier.passed", {"barrier": name, "index": index})
        return index

    def getstate(self: Any) -> Any:
        mark = self.__dict__.get(MARK)
        state = orig_getstate(self)
        return state if mark is None else (state, mark)

    def setstate(self: Any, state: Any) -> None:
        if len(state) == 2 and isinstance(state[0], tuple) and isinstance(state[1], tuple):
            orig_setstate(self, state[0])
            setattr(self, MARK, state[1])
        else:
            orig_setstate(self, state)

    bar.wait = wait  # type: ignore[method-assign]
    bar_pickling.__getstate__, bar_pickling.__setstate__ = getstate, setstate


state.run_deferred(__name__)  # last: see state.run_deferred
