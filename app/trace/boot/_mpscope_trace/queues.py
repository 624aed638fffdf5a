"""Queue, JoinableQueue and SimpleQueue the program creates: put, get, depth, waits, task_done, join."""

from __future__ import annotations

from multiprocessing import queues

from _mpscope_trace import labels, state
from _mpscope_trace.agent import WAIT_GRACE_S, Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any


class Marked(tuple):  # type: ignore[type-arg]
    """(the stdlib's own state, our mark): how a marked queue's mark crosses a pickle."""


def _name(q: Any) -> str | None:
    mark = q.__dict__.get(MARK)
    return None if mark is None else str(mark[1])


def _depth(q: Any) -> int | None:
    try:
        return int(q._maxsize - q._sem._semlock._get_value())
    except Exception:
        return None


def _carry_mark(cls: Any) -> None:
    """Marks survive pickling for exactly this class (its subclasses call its __getstate__ directly)."""
    orig_get, orig_set = cls.__getstate__, cls.__setstate__

    def getstate(self: Any) -> Any:
        state = orig_get(self)
        mark = self.__dict__.get(MARK)
        return state if mark is None or type(self) is not cls else Marked((state, mark))

    def setstate(self: Any, state: Any) -> None:
        if isinstance(state, Marked):
            orig_set(self, state[0])
            self.__dict__[MARK] = state[1]
        else:
            orig_set(self, state)

    cls.__getstate__, cls.__setstate__ = getstate, setstate


def _traced_put(a: Agent, orig: Any, bounded: bool) -> Any:
    def put(self: Any, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        name = _name(self)
        if name is None:
            return orig(self, obj, block, timeout)  # type: ignore[no-any-return]
        try:
            if bounded and block and self._maxsize > 0 and _depth(self) == self._maxsize:
                a.emit_and_flush("queue.wait_put", {"queue": name, "depth": _depth(self)})
        except Exception:
            a.failed()
        orig(self, obj, block, timeout)
        try:
            a.emit("queue.put", {"queue": name, "item": labels.show(obj), "depth": _depth(self)})
        except Exception:
            a.failed()
        return None

    return put


def patch(a: Agent) -> None:
    """When multiprocessing.queues is first imported (the factories are factories.py's, from the start)."""
    for cls in (queues.Queue, queues.JoinableQueue, queues.SimpleQueue):
        _carry_mark(cls)
    queues.Queue.put = _traced_put(a, queues.Queue.put, True)  # type: ignore[method-assign]
    queues.JoinableQueue.put = _traced_put(a, queues.JoinableQueue.put, True)  # type: ignore[method-assign]
    _patch_get(a)
    _patch_joinable(a)
    _patch_simple(a)


def _patch_get(a: Agent) -> None:
    orig_get = queues.Queue.get

    def get(self: Any, block: bool = True, timeout: float | None = None) -> Any:
        name = _name(self)
        if name is None:
            return orig_get(self, block, timeout)
        try:
            if block and self.empty():
                a.note("queue.wait_get", {"queue": name, "depth": 0})
                if not self._poll(WAIT_GRACE_S):  # a real wait (see WAIT_GRACE_S): show it now
                    a.flush()
        except Exception:
            a.failed()
        item = orig_get(self, block, timeout)
        try:
            a.emit("queue.get", {"queue": name, "item": labels.show(item), "depth": _depth(self)})
        except Exception:
            a.failed()
        return item

    queues.Queue.get = get  # type: ignore[method-assign]


def _patch_joinable(a: Agent) -> None:
    jq = queues.JoinableQueue
    orig_done, orig_join = jq.task_done, jq.join

    def task_done(self: Any) -> None:
        orig_done(self)
        name = _name(self)
        if name is not None:
            a.emit("queue.task_done", {"queue": name})

    def join(self: Any) -> None:
        name = _name(self)
        if name is not None:
            a.emit_and_flush("queue.join_wait", {"queue": name})
        orig_join(self)
        if name is not None:
            a.emit("queue.joined", {"queue": name})

    jq.task_done, jq.join = task_done, join  # type: ignore[method-assign]


def _patch_simple(a: Agent) -> None:
    sq = queues.SimpleQueue
    orig_put, orig_get = sq.put, sq.get

    def put(self: Any, obj: Any) -> None:
        orig_put(self, obj)
        name = _name(self)
        if name is not None:
            a.emit("queue.put", {"queue": name, "item": labels.show(obj)})

    def get(self: Any) -> Any:
        name = _name(self)
        if name is not None and self.empty():
            a.emit_and_flush("queue.wait_get", {"queue": name})
        item = orig_get(self)
        if name is not None:
            a.emit("queue.get", {"queue": name, "item": labels.show(item)})
        return item

    sq.put, sq.get = put, get  # type: ignore[method-assign]


state.run_deferred(__name__)  # last: see state.run_deferred
