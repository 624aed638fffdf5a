"""ThreadPoolExecutor, as its process twin: pool.call per submit, pool.task.start/end on the worker
thread's lane, pool.result as each result is there for the caller (on the caller's lane: with threads it
is there as soon as the worker sets it). Applied when concurrent.futures.thread is first imported.
InterpreterPoolExecutor (3.14+) is a ThreadPoolExecutor whose workers each own an interpreter and run
their tasks in it: the same events, each task.start with that interpreter's id."""

from __future__ import annotations

import itertools
from concurrent.futures import thread as cf_thread

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any


def patch(a: Agent) -> None:
    executor, item = cf_thread.ThreadPoolExecutor, cf_thread._WorkItem
    orig_submit, orig_init, orig_run = executor.submit, item.__init__, item.run
    ids = itertools.count()

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            a.emit("pool.call", {"method": "submit", "func": getattr(fn, "__qualname__", labels.show(fn))})
        except Exception:
            a.failed()
        return orig_submit(self, fn, *args, **kwargs)

    # _WorkItem(future, fn, args, kwargs) and run(self) until 3.13; _WorkItem(future, task) and
    # run(self, ctx) from 3.14, where task is (fn, args, kwargs) and ctx runs it (in a thread, or in an
    # InterpreterPoolExecutor worker's own interpreter): whatever the signature, passed on as it came.
    def init(self: Any, future: Any, *rest: Any) -> None:
        orig_init(self, future, *rest)
        self._mpscope = (str(next(ids)), a.lane())  # the task's id, and who submitted it

    def run(self: Any, *ctx: Any) -> None:
        task, caller = getattr(self, "_mpscope", (None, ""))
        if task is None:
            return orig_run(self, *ctx)
        future = self.future
        try:
            args = self.args if hasattr(self, "args") else self.task[1]
            data = {"task": task, "arg": labels.show(args)}
            interp = getattr(ctx[0], "interp", None) if ctx else None
            if interp is not None:  # an InterpreterPoolExecutor worker: the interpreter it runs tasks in
                data["interp"] = interp.id
            a.emit("pool.task.start", data)
        except Exception:
            a.failed()
        orig_run(self, *ctx)
        try:
            if future.done() and not future.cancelled():
                error = future.exception()
                shown = labels.show(future.result() if error is None else error)
                a.emit("pool.task.end", {"task": task, "ok": error is None, "result": shown})
                a.emit("pool.result", {"task": task, "ok": error is None}, proc=caller)
        except Exception:
            a.failed()
        return None

    executor.submit = submit  # type: ignore[method-assign]
    item.__init__ = init  # type: ignore[method-assign,assignment]
    item.run = run  # type: ignore[method-assign]


def task_args(item: Any) -> Any:
    """The positional arguments of a work item's call: its args up to 3.13, its task's from 3.14."""
    if hasattr(item, "args"):
        return item.args
    task = getattr(item, "task", None)
    return task[1] if isinstance(task, tuple) and len(task) == 3 else ()
