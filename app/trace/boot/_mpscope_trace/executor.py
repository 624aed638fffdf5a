"""ProcessPoolExecutor: each work item on the worker that ran it. Applied when
concurrent.futures.process is first imported (see __init__.py)."""

from __future__ import annotations

from concurrent.futures import process as cf_process

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent
from _mpscope_trace.state import replace_global as _as

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any


def patch(a: Agent) -> None:
    orig_worker, orig_sendback = cf_process._process_worker, cf_process._sendback_result

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
