"""Value and Array (the synchronized wrappers the program creates): every read and write.

Their own lock (`counter.get_lock()`) is reported when the program takes it itself (`with
counter.get_lock():`); the stdlib taking it inside each `.value` read and write, or each element access,
is not: those are the value.* / array.* events already, and reporting both doubled a counter's events.
"""

from __future__ import annotations

from multiprocessing import context, sharedctypes

from _mpscope_trace import labels, raw, state
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import MARK
from _mpscope_trace.sync import instrument_semlock

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any


def _rebuild(obj: Any, lock: Any, mark: Any) -> Any:
    """Unpickling a marked Value/Array in a child: the stdlib's rebuild, then the mark again."""
    wrapper = sharedctypes.synchronized(obj, lock)
    wrapper.__dict__[MARK] = mark
    _untraced_inside(wrapper)
    return wrapper


def _untraced_inside(wrapper: Any) -> None:
    """The wrapper's own use of its lock (inside .value, [i]) goes to the raw semaphore."""
    semlock = getattr(wrapper._lock, "_semlock", None)
    if semlock is not None:
        wrapper.acquire, wrapper.release = semlock.acquire, semlock.release


def mark_synchronized(a: Agent, obj: Any, kind: str, frame: Any, name: str | None = None) -> None:
    """A Value/Array (or sharedctypes.synchronized(...)) the program made: named, and its lock too."""
    if not isinstance(obj, (sharedctypes.Synchronized, sharedctypes.SynchronizedArray)):
        return  # a synchronized Structure: not traced
    name = name or labels.label(kind, frame)
    obj.__dict__[MARK] = (kind.lower(), name, 0)
    lock = obj.get_lock()
    if getattr(lock, "_semlock", None) is not None and MARK not in lock.__dict__:
        lock.__dict__[MARK] = ("lock", f"{name}.get_lock()", 0)
        instrument_semlock(a, lock)
        _untraced_inside(obj)


def mark_created(a: Agent, obj: Any, kind: str, frame: Any) -> None:
    """A Value/Array the program made (factories.py): its synchronized wrapper, or with lock=False the raw
    ctypes object itself."""
    if isinstance(obj, sharedctypes.SynchronizedBase):
        mark_synchronized(a, obj, kind, frame)
    else:
        raw.mark(obj, frame)


def patch(a: Agent) -> None:
    """When multiprocessing.sharedctypes is first imported (the factories are factories.py's)."""
    base = sharedctypes.SynchronizedBase
    orig_reduce = base.__reduce__

    def reduce(self: Any) -> Any:
        mark = self.__dict__.get(MARK)
        if mark is None:
            return orig_reduce(self)
        context.assert_spawning(self)
        return _rebuild, (self._obj, self._lock, mark)

    orig_enter, orig_exit = base.__enter__, base.__exit__

    def enter(self: Any) -> Any:  # SynchronizedArray's [i] takes the lock with `with self:`
        semlock = getattr(self._lock, "_semlock", None)
        return orig_enter(self) if semlock is None else semlock.__enter__()

    def exit_(self: Any, *args: Any) -> Any:
        semlock = getattr(self._lock, "_semlock", None)
        return orig_exit(self, *args) if semlock is None else semlock.__exit__(*args)

    base.__reduce__ = reduce  # type: ignore[method-assign]
    base.__enter__, base.__exit__ = enter, exit_  # type: ignore[method-assign]

    # typeshed declares Synchronized.value an instance variable of a generic class; on the class it is a
    # property, which we swap: through Any.
    synchronized: Any = sharedctypes.Synchronized
    prop = synchronized.value
    get, put = prop.fget, prop.fset

    def read(self: Any) -> Any:
        value = get(self)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                a.emit("value.read", {"name": mark[1], "value": labels.show(value)})
            except Exception:
                a.failed()
        return value

    def write(self: Any, value: Any) -> None:
        put(self, value)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                a.emit("value.write", {"name": mark[1], "value": labels.show(value)})
            except Exception:
                a.failed()

    synchronized.value = property(read, write)
    _patch_array(a)


def _patch_array(a: Agent) -> None:
    arr = sharedctypes.SynchronizedArray
    arr.__getitem__, arr.__setitem__ = item_access(a, arr.__getitem__, arr.__setitem__)  # type: ignore[method-assign]


def item_access(a: Agent, get_item: Any, set_item: Any) -> tuple[Any, Any]:
    """__getitem__ and __setitem__ that call the originals, then report array.read / array.write for an
    array marked as shared (a SynchronizedArray here, a raw ctypes array in raw.py)."""

    def getitem(self: Any, i: Any) -> Any:
        value = get_item(self, i)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                a.emit("array.read", _cell(mark[1], i, value, len(self)))
            except Exception:
                a.failed()
        return value

    def setitem(self: Any, i: Any, value: Any) -> None:
        set_item(self, i, value)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                a.emit("array.write", _cell(mark[1], i, value, len(self)))
            except Exception:
                a.failed()

    return getitem, setitem


def _cell(name: str, i: Any, value: Any, n: int) -> dict[str, Any]:
    if isinstance(i, slice):
        start, stop, step = i.indices(n)
        return {"name": name, "index": [start, stop, step], "value": labels.show(list(value))}
    return {"name": name, "index": i + n if i < 0 else i, "value": labels.show(value)}


state.run_deferred(__name__)  # last: see state.run_deferred
