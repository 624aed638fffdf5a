"""Raw shared ctypes: RawValue, RawArray, Value/Array(lock=False), sharedctypes.synchronized and copy.

A raw shared object is a plain ctypes object with nothing to hook, so one the program makes is given a
class of our own: a subclass of its ctypes type whose `.value` (a scalar) or `[i]` (an array) reports
value.read/value.write or array.read/array.write, then does exactly what the ctypes type does.
`isinstance(obj, c_int)`, `ctypes.addressof`, `memoryview` and the shared memory are unchanged; only
`type(obj)` shows the subclass. It pickles (spawn, forkserver) as the stdlib's own rebuild of the
same shared memory, then our class and its name again. The stdlib's internal raw objects (the one inside
a synchronized Value) keep their plain type.
"""

from __future__ import annotations

import ctypes
import sys
from multiprocessing import context, sharedctypes

from _mpscope_trace import labels, state
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

TRACED: dict[type, type] = {}  # a ctypes type -> its traced subclass
_PLAIN: dict[type, type] = {}  # the traced subclass -> its ctypes type
_AGENT: list[Agent] = []
# typeshed has no _SimpleCData.value descriptor object (it types the attribute): through Any
_simple: Any = ctypes._SimpleCData
_GET, _SET = _simple.value.__get__, _simple.value.__set__
# typeshed has no sharedctypes.rebuild_ctype nor _new_value (private): through Any
_internals: Any = sharedctypes


def _rebuild(plain: Any, length: Any, wrapper: Any, mark: Any) -> Any:
    """Unpickling a traced raw object in a child: the stdlib's rebuild, then our class and mark."""
    obj = _internals.rebuild_ctype(plain, wrapper, length)
    traced = traced_type(type(obj))
    if traced is not None:
        obj.__class__ = traced
        obj.__dict__[MARK] = mark
    return obj


def _reduce(self: Any) -> Any:
    context.assert_spawning(self)
    plain = _PLAIN[type(self)]
    mark = self.__dict__.get(MARK)
    if issubclass(plain, ctypes.Array):
        return _rebuild, (plain._type_, plain._length_, self._wrapper, mark)
    return _rebuild, (plain, None, self._wrapper, mark)


def traced_type(plain: type) -> type | None:
    """The traced subclass of a ctypes scalar or array type (made once); None for a Structure."""
    traced = TRACED.get(plain)
    if traced is not None or not _AGENT:
        return traced
    a = _AGENT[0]
    ns: dict[str, Any] = {"__slots__": (), "__reduce__": _reduce, "__module__": plain.__module__}
    if issubclass(plain, ctypes.Array):
        from _mpscope_trace.shared import item_access

        array: Any = plain
        ns["__getitem__"], ns["__setitem__"] = item_access(a, array.__getitem__, array.__setitem__)
    elif issubclass(plain, ctypes._SimpleCData):

        def read(self: Any) -> Any:
            value = _GET(self)
            mark = self.__dict__.get(MARK)
            if mark is not None:
                try:
                    a.emit("value.read", {"name": mark[1], "value": labels.show(value)})
                except Exception:
                    a.failed()
            return value

        def write(self: Any, value: Any) -> None:
            _SET(self, value)
            mark = self.__dict__.get(MARK)
            if mark is not None:
                try:
                    a.emit("value.write", {"name": mark[1], "value": labels.show(value)})
                except Exception:
                    a.failed()

        ns["value"] = property(read, write)
    else:
        return None
    traced = type(plain.__name__, (plain,), ns)
    TRACED[plain], _PLAIN[traced] = traced, plain
    return traced


def mark(obj: Any, frame: Any, name: str | None = None) -> bool:
    """Make a raw ctypes object the program created report, named after its assignment (or `name`)."""
    plain = _PLAIN.get(type(obj), type(obj))
    traced = traced_type(plain)
    if traced is None:
        return False
    kind = "array" if issubclass(plain, ctypes.Array) else "value"
    obj.__class__ = traced
    label = name or labels.label("RawArray" if kind == "array" else "RawValue", frame)
    obj.__dict__[MARK] = (kind, label, 0)
    return True


def plain_view(obj: Any) -> Any:
    """The same shared memory seen through the plain ctypes type (what a synchronized wrapper reads
    through, so that one access is reported once, by the wrapper)."""
    plain: Any = _PLAIN[type(obj)]
    view = plain.from_buffer(obj)
    wrapper = obj.__dict__.get("_wrapper")
    if wrapper is not None:
        view._wrapper = wrapper
    return view


def _caller(depth: int) -> Any:
    """The program's frame that asked for the object, past BaseContext's forwarding methods; None when
    multiprocessing or mpscope made it."""
    frame: Any = sys._getframe(depth + 1)
    while frame is not None and frame.f_globals.get("__name__") == "multiprocessing.context":
        frame = frame.f_back
    if frame is None or frame.f_globals.get("__name__", "").startswith(labels._INTERNAL):
        return None
    return frame


def patch(a: Agent) -> None:
    _AGENT.append(a)
    orig_value, orig_array = sharedctypes.RawValue, sharedctypes.RawArray
    orig_sync, orig_copy = sharedctypes.synchronized, sharedctypes.copy

    def make(orig: Any) -> Any:
        def factory(typecode_or_type: Any, *args: Any) -> Any:
            obj = orig(typecode_or_type, *args)
            try:
                frame = _caller(1)
                if frame is not None:
                    mark(obj, frame)
            except Exception:
                a.failed()
            return obj

        return factory

    def synchronized(obj: Any, lock: Any = None, ctx: Any = None) -> Any:
        frame = None
        name = None
        try:
            frame = _caller(1)
            if frame is not None and type(obj) in _PLAIN:
                mark_ = obj.__dict__.get(MARK)
                name = None if mark_ is None else str(mark_[1])
                obj = plain_view(obj)  # the wrapper reports; its raw object stays traced for direct use
        except Exception:
            a.failed()
        wrapper = orig_sync(obj, lock, ctx)
        if frame is not None:
            try:
                from _mpscope_trace.shared import mark_synchronized

                kind = "Array" if isinstance(wrapper, sharedctypes.SynchronizedArray) else "Value"
                mark_synchronized(a, wrapper, kind, frame, name)
            except Exception:
                a.failed()
        return wrapper

    def copy(obj: Any) -> Any:
        plain = _PLAIN.get(type(obj))
        if plain is None:
            new = orig_copy(obj)
        else:  # the stdlib's copy, through the plain type (it registers the type it is given for pickling)
            new = _internals._new_value(plain)
            ctypes.memmove(ctypes.addressof(new), ctypes.addressof(obj), ctypes.sizeof(plain))
        try:
            frame = _caller(1)
            if frame is not None:
                mark(new, frame)
        except Exception:
            a.failed()
        return new

    sharedctypes.RawValue, sharedctypes.RawArray = make(orig_value), make(orig_array)
    sharedctypes.synchronized, sharedctypes.copy = synchronized, copy


state.run_deferred(__name__)  # last: see state.run_deferred
