"""multiprocessing.shared_memory: each SharedMemory segment the program creates, attaches, closes and
unlinks (with its name and size), and each item read and write of a ShareableList. Applied when
multiprocessing.shared_memory is first imported (see __init__.py).

`shm.buf` is a memoryview straight onto the mapped memory: its byte accesses run no Python code of the
stdlib, so there is nothing to report them from (see docs/trace.md).
"""

from __future__ import annotations

from multiprocessing import shared_memory

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

_AGENT: list[Agent] = []


def _segment(shm: Any, label: str) -> dict[str, Any]:
    return {"shm": label, "segment": shm.name, "size": shm.size}


def mark_segment(a: Agent, shm: Any, label: str, created: bool, **extra: Any) -> None:
    shm.__dict__[MARK] = ("shm", label, 0)
    a.emit_in_process("shm.create" if created else "shm.attach", _segment(shm, label) | extra)


def mark_list(a: Agent, sl: Any, label: str, created: bool, **extra: Any) -> None:
    sl.__dict__[MARK] = ("array", label, 0)
    mark_segment(a, sl.shm, f"{label}.shm", created, **extra)


def _attach_segment(name: str, size: int, mark: Any) -> Any:
    """Unpickling a traced SharedMemory in a child (spawn, forkserver, a queue): attach, and say so."""
    shm = shared_memory.SharedMemory(name, False, size)
    if _AGENT:
        try:
            mark_segment(_AGENT[0], shm, str(mark[1]), False)
        except Exception:
            _AGENT[0].failed()
    return shm


def _attach_list(name: str, mark: Any) -> Any:
    sl = shared_memory.ShareableList(name=name)
    if _AGENT:
        try:
            mark_list(_AGENT[0], sl, str(mark[1]), False)
        except Exception:
            _AGENT[0].failed()
    return sl


def patch(a: Agent) -> None:
    _AGENT.append(a)
    _patch_segment(a)
    _patch_list(a)


def _patch_segment(a: Agent) -> None:
    seg = shared_memory.SharedMemory
    orig_init, orig_close, orig_unlink, orig_reduce = seg.__init__, seg.close, seg.unlink, seg.__reduce__

    def init(self: Any, name: Any = None, create: bool = False, size: int = 0, *args: Any, **kw: Any) -> None:
        orig_init(self, name, create, size, *args, **kw)
        try:
            frame = labels.user_frame()
            if frame is not None:
                mark_segment(a, self, labels.label("SharedMemory", frame), bool(create))
        except Exception:
            a.failed()

    def close(self: Any) -> None:
        mark = self.__dict__.get(MARK)
        orig_close(self)
        if mark is not None and self.__dict__.get("_mpscope_closed") is None:
            self._mpscope_closed = True
            try:
                a.emit("shm.close", {"shm": mark[1], "segment": self.name})
            except Exception:
                a.failed()

    def unlink(self: Any) -> None:
        orig_unlink(self)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                a.emit("shm.unlink", {"shm": mark[1], "segment": self.name})
            except Exception:
                a.failed()

    def reduce(self: Any) -> Any:
        mark = self.__dict__.get(MARK)
        return orig_reduce(self) if mark is None else (_attach_segment, (self.name, self.size, mark))

    def del_(self: Any) -> None:  # the garbage collector's close is not the program's: not reported
        try:
            orig_close(self)
        except OSError:
            pass

    seg.__init__ = init  # type: ignore[method-assign]
    seg.close, seg.unlink = close, unlink  # type: ignore[method-assign]
    seg.__reduce__, seg.__del__ = reduce, del_  # type: ignore[method-assign]


def _patch_list(a: Agent) -> None:
    sl = shared_memory.ShareableList
    orig_init, orig_get, orig_set, orig_reduce = sl.__init__, sl.__getitem__, sl.__setitem__, sl.__reduce__

    def init(self: Any, sequence: Any = None, *, name: Any = None) -> None:
        orig_init(self, sequence, name=name)
        try:
            frame = labels.user_frame()
            if frame is not None:
                mark_list(a, self, labels.label("ShareableList", frame), sequence is not None)
        except Exception:
            a.failed()

    def index(self: Any, position: Any) -> Any:
        n = self._list_len
        return position + n if isinstance(position, int) and position < 0 else position

    def getitem(self: Any, position: Any) -> Any:
        value = orig_get(self, position)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                data = {"name": mark[1], "index": index(self, position), "value": labels.show(value)}
                a.emit("array.read", data | {"shm": self.shm.name})
            except Exception:
                a.failed()
        return value

    def setitem(self: Any, position: Any, value: Any) -> None:
        orig_set(self, position, value)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                data = {"name": mark[1], "index": index(self, position), "value": labels.show(value)}
                a.emit("array.write", data | {"shm": self.shm.name})
            except Exception:
                a.failed()

    def reduce(self: Any) -> Any:
        mark = self.__dict__.get(MARK)
        return orig_reduce(self) if mark is None else (_attach_list, (self.shm.name, mark))

    sl.__init__ = init  # type: ignore[method-assign]
    sl.__getitem__, sl.__setitem__ = getitem, setitem  # type: ignore[method-assign]
    sl.__reduce__ = reduce  # type: ignore[method-assign]


def patch_manager(a: Agent, managers: Any) -> None:
    """SharedMemoryManager: what its SharedMemory() and ShareableList() make is the program's (made
    inside multiprocessing, so named here), and its server's unlinking of them at shutdown is shown on
    the server's lane."""
    smm = managers.SharedMemoryManager
    orig_segment, orig_list = smm.SharedMemory, smm.ShareableList
    tracker = managers._SharedMemoryTracker
    orig_destroy = tracker.destroy_segment

    def segment(self: Any, size: int) -> Any:
        shm = orig_segment(self, size)
        try:
            frame = labels.user_frame()
            if frame is not None:
                mark_segment(a, shm, labels.label("SharedMemory", frame), True, manager=True)
        except Exception:
            a.failed()
        return shm

    def shareable(self: Any, sequence: Any) -> Any:
        sl = orig_list(self, sequence)
        try:
            frame = labels.user_frame()
            if frame is not None:
                mark_list(a, sl, labels.label("ShareableList", frame), True, manager=True)
        except Exception:
            a.failed()
        return sl

    def destroy_segment(self: Any, segment_name: str) -> None:
        orig_destroy(self, segment_name)
        try:
            a.emit("shm.unlink", {"shm": segment_name, "segment": segment_name, "manager": True})
        except Exception:
            a.failed()

    smm.SharedMemory, smm.ShareableList = segment, shareable
    tracker.destroy_segment = destroy_segment
