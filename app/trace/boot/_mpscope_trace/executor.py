"""ProcessPoolExecutor: each work item on the worker that ran it, each submit and each result in the
caller. Applied when
concurrent.futures.process is first imported (see __init__.py)."""

from __future__ import annotations

from concurrent.futures import process as cf_process

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import replace_global as _as

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def patch(a: Agent) -> None:
    # Widened: the worker is handed a _Calls, duck-typed, where typeshed wants a Queue[_CallItem].
    orig_worker: Callable[..., None] = cf_process._process_worker
    orig_sendback = cf_process._sendback_result

    class _Calls:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def get(self, block: bool = True, timeout: float | None = None) -> Any:
            if a.buf and self._inner.empty():
                a.flush()
            item = self._inner.get(block, timeout)
            if item is not None:
                try:
                    a.emit("pool.task.start", {"task": str(item.work_id), "arg": labels.show(item.args)})
                except Exception:
                    a.failed()
            return item

    def _process_worker(call_queue: Any, *args: Any, **kwargs: Any) -> Any:
        return orig_worker(_Calls(call_queue), *args, **kwargs)

    def _sendback_result(
        result_queue: Any, work_id: Any, result: Any = None, exception: Any = None, **kw: Any
    ) -> Any:
        try:
            a.emit(
                "pool.task.end",
                {
                    "task": str(work_id),
                    "ok": exception is None,
                    "result": labels.show(result if exception is None else exception),
                },
            )
        except Exception:
            a.failed()
        return orig_sendback(result_queue, work_id, result=result, exception=exception, **kw)

    _as(cf_process, "_process_worker", _process_worker)
    _as(cf_process, "_sendback_result", _sendback_result)
    _patch_caller(a)


def _patch_caller(a: Agent) -> None:
    """The caller's side: each submit (map submits one per item) and each result as it comes back."""
    executor, manager = cf_process.ProcessPoolExecutor, cf_process._ExecutorManagerThread
    orig_submit, orig_result = executor.submit, manager.process_result_item

    def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        try:
            a.emit("pool.call", {"method": "submit", "func": getattr(fn, "__qualname__", labels.show(fn))})
        except Exception:
            a.failed()
        return orig_submit(self, fn, *args, **kwargs)

    def process_result_item(self: Any, result_item: Any) -> None:  # on the executor's manager thread
        try:
            if not isinstance(result_item, int):  # an int: a worker leaving, not a result
                ok = result_item.exception is None
                a.emit("pool.result", {"task": str(result_item.work_id), "ok": ok})
        except Exception:
            a.failed()
        orig_result(self, result_item)

    executor.submit = submit  # type: ignore[method-assign]
    manager.process_result_item = process_result_item  # type: ignore[method-assign]
