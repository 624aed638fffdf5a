"""The multiprocessing context's factories (Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition,
Barrier, Queue, JoinableQueue, SimpleQueue, Pipe, Value, Array) that mark what the program itself
creates, patched at start-up without importing what they make.

`multiprocessing.Queue` and friends are bound to the default context's methods when multiprocessing is
imported, so these must be in place from the start; the classes they make are patched only when their
module is first imported (sync.py, queues.py, pipes.py, shared.py and raw.py, through __init__.LAZY). A
traced interpreter that never makes a Queue or a Pipe thus never loads multiprocessing.queues or
.connection, and one that makes no Lock, Event, ... or Queue never loads .synchronize (nor the tempfile,
shutil and subprocess it imports): each saved every such process ~10 ms of start-up, most of a short
program's tracing cost.
"""

from __future__ import annotations

from multiprocessing import context

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any


# The synchronization factories, and the family each reports as (the rest: their own name, lowercased)
SEMLOCKS = {"Lock": "lock", "RLock": "lock", "Semaphore": "semaphore", "BoundedSemaphore": "semaphore"}
SYNC = (*SEMLOCKS, "Event", "Condition", "Barrier")


def _mark_and_wrap(a: Agent, cls_name: str, make: Any) -> Any:
    """A BaseContext factory method that marks what the program itself creates. Its class's module,
    multiprocessing.synchronize, is loaded (and sync.py's patch applied) by the stdlib's factory."""

    def factory(self: Any, *args: Any, **kwargs: Any) -> Any:
        obj = make(self, *args, **kwargs)
        try:
            frame = labels.user_frame()
            if frame is not None:
                setattr(
                    obj, MARK, (SEMLOCKS.get(cls_name, cls_name.lower()), labels.label(cls_name, frame), 0)
                )
                if cls_name in SEMLOCKS:
                    from _mpscope_trace import sync

                    sync.setup_semlock(a, obj)
        except Exception:
            a.failed()
        return obj

    return factory


def patch(a: Agent) -> None:
    ctx = context.BaseContext
    for cls_name in SYNC:
        setattr(ctx, cls_name, _mark_and_wrap(a, cls_name, getattr(ctx, cls_name)))
    for factory_name in ("Queue", "JoinableQueue", "SimpleQueue"):
        orig_factory = getattr(ctx, factory_name)

        def factory(
            self: Any, *args: Any, _orig: Any = orig_factory, _kind: str = factory_name, **kw: Any
        ) -> Any:
            q = _orig(self, *args, **kw)
            try:
                frame = labels.user_frame()
                if frame is not None:
                    q.__dict__[MARK] = ("queue", labels.label(_kind, frame), 0)
            except Exception:
                a.failed()
            return q

        setattr(ctx, factory_name, factory)

    def make_shared(orig: Any, kind: str) -> Any:
        def factory(self: Any, *args: Any, **kwargs: Any) -> Any:
            obj = orig(self, *args, **kwargs)  # sharedctypes is imported (and patched) by now
            try:
                frame = labels.user_frame()
                if frame is not None:
                    from _mpscope_trace import shared

                    shared.mark_created(a, obj, kind, frame)
            except Exception:
                a.failed()
            return obj

        return factory

    ctx.Value = make_shared(ctx.Value, "Value")  # type: ignore[method-assign]
    ctx.Array = make_shared(ctx.Array, "Array")  # type: ignore[method-assign]

    def ctx_pipe(self: Any, duplex: bool = True) -> Any:
        from multiprocessing import connection  # patched on import: its Pipe is then pipes.py's

        pipe: Any = connection.Pipe
        if getattr(pipe, "takes_depth", False):
            return pipe(duplex, 3)  # the program's frame is one further out: it called us, we call pipe
        return pipe(duplex)  # pipes.py could not patch it: an untraced Pipe, as the stdlib's

    ctx.Pipe = ctx_pipe  # type: ignore[method-assign]
