"""Manager proxies: every call the program makes through one, with its round trip to the server."""

from __future__ import annotations

import time
from multiprocessing import managers

from _mpscope_trace import labels
from _mpscope_trace.agent import Agent

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

_INTERNAL = frozenset({"__getattribute__", "_getvalue", "#GETVALUE", "incref", "decref"})


def patch(a: Agent) -> None:
    proxy = managers.BaseProxy
    orig_call = proxy._callmethod

    def callmethod(self: Any, methodname: str, args: Any = (), kwds: Any = {}) -> Any:  # noqa: B006
        t = time.perf_counter_ns()
        result = orig_call(self, methodname, args, kwds)
        try:
            if methodname not in _INTERNAL:
                token = self._token
                a.emit(
                    "manager.call",
                    {
                        "method": methodname,
                        "target": f"{token.typeid} {str(token.id)[-4:]}",
                        "args": labels.show(args) if args else "",
                        "result": labels.show(result),
                        "us": (time.perf_counter_ns() - t) // 1000,
                        "server": str(token.address),
                    },
                )
        except Exception:
            a.failed()
        return result

    proxy._callmethod = callmethod  # type: ignore[method-assign]
    if hasattr(managers, "SharedMemoryManager"):
        from _mpscope_trace import shm

        shm.patch_manager(a, managers)
