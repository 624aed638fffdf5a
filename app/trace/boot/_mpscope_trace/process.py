"""Process lifecycles: create and join in the parent, start and exit in the child itself.

A child reports its exit once multiprocessing has finished with it: after util._exit_function, which
joins the child's own children and flushes its queues. Up to Python 3.12 BaseProcess._bootstrap calls
it; from 3.13 it runs as an atexit handler after _bootstrap returns (fork and forkserver register it in
the child, spawn at interpreter exit), so there the exit is reported from a wrapper of it instead. A
child stuck in it (a queue nobody reads) has not exited, and does not say so (docs/trace.md).
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from multiprocessing import context as mp_context
from multiprocessing import process as mp_process
from multiprocessing import util as mp_util

from _mpscope_trace.agent import Agent

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def patch(a: Agent) -> None:
    base = mp_process.BaseProcess
    # typeshed has no BaseProcess._bootstrap (private): reached through Any. A typed name rather than
    # typing.cast, here and in the other modules: importing typing is what TYPE_CHECKING avoids.
    base_internals: Any = base
    orig_bootstrap: Callable[[Any, Any], int] = base_internals._bootstrap
    orig_start, orig_join = base.start, base.join

    def start(self: Any) -> None:
        try:
            a.emit("process.create", {"process": self.name})
            if self._start_method is None:  # multiprocessing.Process: the default context's method
                self._mpscope_method = mp_context._default_context.get_start_method()
        except Exception:
            a.failed()
        orig_start(self)

    orig_is_alive = base.is_alive

    def killed(self: Any) -> None:
        """A child the parent finds dead by a signal could not report its own exit: report it once."""
        popen = getattr(self, "_popen", None)
        code = getattr(popen, "returncode", None)
        if code is not None and code < 0 and not getattr(self, "_mpscope_killed", False):
            self._mpscope_killed = True
            a.emit("process.exit", {"exitcode": code, "seen_by": a.proc}, pid=self.pid or 0, proc=self.name)

    def is_alive(self: Any) -> bool:
        alive: bool = orig_is_alive(self)
        if not alive:
            try:
                killed(self)
            except Exception:
                a.failed()
        return alive

    def join(self: Any, timeout: float | None = None) -> None:
        try:
            if self.exitcode is None and timeout != 0:
                a.emit_and_flush("process.join_wait", {"process": self.name})
        except Exception:
            a.failed()
        orig_join(self, timeout)
        try:
            code = self.exitcode
            if code is not None and not getattr(self, "_mpscope_joined", False):
                self._mpscope_joined = True
                a.emit("process.join", {"exitcode": code}, pid=self.pid or 0, proc=self.name)
                killed(self)
        except Exception:
            a.failed()

    def _bootstrap(self: Any, parent_sentinel: Any = None) -> int:
        try:
            a.pid, a.proc = os.getpid(), self.name
            a.cpu0 = time.process_time()
            method = self._start_method or getattr(self, "_mpscope_method", "")
            # sent at once: its lane shows now, and a process killed early (a Pool's terminate()) has
            # said it started
            a.emit_and_flush("process.start", {"ppid": os.getppid(), "start_method": method})
            pending, a.pending = a.pending, []
            for kind, data in pending:
                a.emit(kind, data)
        except Exception:
            a.failed()
        code: int = orig_bootstrap(self, parent_sentinel)
        if EXIT_FUNCTION_AFTER_BOOTSTRAP and not mp_util.is_exiting():
            exit_code.append(code)  # reported once util._exit_function has run (exit_function below)
            return code
        try:
            a.finish(code)
        except Exception:
            pass
        return code

    base.start = start  # type: ignore[method-assign]
    base.join = join  # type: ignore[method-assign]
    base.is_alive = is_alive  # type: ignore[method-assign]
    base_internals._bootstrap = _bootstrap
    if EXIT_FUNCTION_AFTER_BOOTSTRAP:
        _patch_exit_function(a, exit_code)


# Python 3.13 moved util._exit_function out of BaseProcess._bootstrap, into atexit, which runs after it
# (gh-83856). Whether it ran already is checked too (is_exiting): a build with the old shape still reports.
EXIT_FUNCTION_AFTER_BOOTSTRAP = sys.version_info >= (3, 13)
exit_code: list[int] = []  # this child's exit code, between _bootstrap's return and its exit function


def _patch_exit_function(a: Agent, pending: list[int]) -> None:
    # typeshed has no util._exit_function (private): through Any
    util_internals: Any = mp_util
    orig: Callable[..., None] = util_internals._exit_function

    def exit_function(*args: Any, **kwargs: Any) -> None:
        try:
            orig(*args, **kwargs)
        finally:
            if pending:
                try:
                    a.finish(pending.pop())
                except Exception:
                    pass

    # fork and forkserver look it up on the module in each child they start; spawn's child registered
    # the original when it imported util (before this patch): that registration becomes this one.
    util_internals._exit_function = exit_function
    atexit.unregister(orig)
    atexit.register(exit_function)
