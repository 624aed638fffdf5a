"""Pool: each task (a chunk, for map) on the worker that ran it, and each result as it reaches the caller.
Applied when multiprocessing.pool is first imported (see __init__.py)."""

from __future__ import annotations

import functools
from multiprocessing import pool

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import replace_global as _as

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# typeshed has no pool.mapstar, pool.starmapstar nor pool.worker (private): reached through Any, typed
# here. A typed name rather than typing.cast: importing typing is what TYPE_CHECKING avoids.
_pool_internals: Any = pool
_STARS: tuple[Callable[[tuple[Any, Any]], list[Any]], ...] = (
    _pool_internals.mapstar,
    _pool_internals.starmapstar,
)


class _Tasks:
    """A Pool worker's inqueue/outqueue, seen through: every task taken and every result put."""

    def __init__(self, a: Agent, inner: Any, taking: bool) -> None:
        self._a, self._inner, self._taking = a, inner, taking

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get(self) -> Any:
        if self._a.buf:  # about to wait for work (or for the inqueue's lock): show what was done
            self._a.flush()
        task = self._inner.get()
        if task is not None:
            try:
                job, i, func, args, _ = task
                shown = args[1] if func in _STARS and len(args) == 2 else args
                self._a.emit("pool.task.start", {"task": f"{job}:{i}", "arg": labels.show(shown)})
            except Exception:
                self._a.failed()
        return task

    def put(self, obj: Any) -> None:
        try:
            job, i, (ok, value) = obj
            self._a.emit("pool.task.end", {"task": f"{job}:{i}", "ok": ok, "result": labels.show(value)})
            self._a.flush()  # before the result: once it has them all, the Pool may terminate us
        except Exception:
            self._a.failed()
        self._inner.put(obj)


def patch(a: Agent) -> None:
    orig_worker: Callable[..., None] = _pool_internals.worker

    def worker(inqueue: Any, outqueue: Any, *args: Any, **kwargs: Any) -> Any:
        return orig_worker(_Tasks(a, inqueue, True), _Tasks(a, outqueue, False), *args, **kwargs)

    _as(pool, "worker", worker)
    for cls in (pool.ApplyResult, pool.MapResult, pool.IMapIterator, pool.IMapUnorderedIterator):
        _patch_set(a, cls)
    for method in ("map", "starmap", "imap", "imap_unordered", "apply_async", "map_async", "starmap_async"):
        _patch_call(a, method)


def _patch_set(a: Agent, cls: Any) -> None:
    orig = cls._set

    def _set(self: Any, i: Any, obj: Any) -> None:
        try:
            a.emit("pool.result", {"task": f"{self._job}:{i}", "ok": bool(obj[0])})
        except Exception:
            a.failed()
        orig(self, i, obj)

    cls._set = _set


def _patch_call(a: Agent, method: str) -> None:
    orig = getattr(pool.Pool, method)

    @functools.wraps(orig)
    def call(self: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            a.emit("pool.call", {"method": method, "func": getattr(func, "__qualname__", labels.show(func))})
        except Exception:
            a.failed()
        return orig(self, func, *args, **kwargs)

    setattr(pool.Pool, method, call)
