"""Instrumentation of multiprocessing for `mpscope trace` (loaded by boot/sitecustomize.py).

Stdlib only, and loaded under this private name so that a program with its own `app` module is not
affected. `install` patches the stdlib's classes in place (no subclasses: what the program pickles
stays the stdlib's own types) and marks each primitive the program creates; only marked ones report.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.machinery
import multiprocessing
import os
import sys
from multiprocessing import context

from _mpscope_trace import agent as _agent
from _mpscope_trace import state

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["install"]
FACTORIES = (
    "Lock",
    "RLock",
    "Semaphore",
    "BoundedSemaphore",
    "Condition",
    "Event",
    "Barrier",
    "Queue",
    "JoinableQueue",
    "SimpleQueue",
    "Pipe",
    "Value",
    "Array",
    "RawValue",
    "RawArray",
)


# Patched when first imported, in whichever process: importing them all up front cost every traced
# process ~40 ms at start (a spawned Pool worker unpickles its target, and that import patches it).
# "module" runs that module's patch(a), "module:name" its name(a); several, in order.
LAZY = {
    "multiprocessing.pool": ("pools",),
    "multiprocessing.managers": ("managers",),
    "concurrent.futures.process": ("executor",),
    "multiprocessing.shared_memory": ("shm",),
    "concurrent.futures.thread": ("threadpool",),
    "multiprocessing.synchronize": ("sync",),
    "multiprocessing.queues": ("queues",),
    "multiprocessing.connection": ("pipes",),
    "multiprocessing.sharedctypes": ("raw", "shared"),
    "queue": ("threads:patch_queue",),
}


def install(spec: str, started_ns: int = 0) -> None:
    """`spec`: "T0:SOCKET" from the tracer (its CLOCK_MONOTONIC start in ns, and where to send);
    `started_ns`: when sitecustomize began (this process's instrumentation cost is reported)."""
    if state.AGENT is not None:
        return
    t0, _, sock = spec.partition(":")
    a = _agent.Agent(sock, int(t0))
    state.AGENT = a
    os.register_at_fork(after_in_child=a.after_fork)
    atexit.register(a.finish, None)
    from _mpscope_trace import factories, process, threads

    for module in (process, factories, threads):
        _apply(a, module.patch)
    # `multiprocessing.Lock` and friends were bound to the default context's methods at import time.
    for name in FACTORIES:
        setattr(multiprocessing, name, getattr(context._default_context, name))
    for name in [n for n in LAZY if n in sys.modules]:
        _patch_lazy(a, LAZY.pop(name))
    sys.meta_path.insert(0, _PatchOnImport(a))
    if started_ns:
        a.boot_ns = _agent.now() - started_ns
    _default_start_method(os.environ.get("MPSCOPE_START_METHOD", ""))


def _default_start_method(method: str) -> None:
    """A code run's chosen start method (app/code/), as the program's default: the default context's
    own default, so a program that calls set_start_method() itself still gets its choice."""
    contexts: Any = context
    chosen = contexts._concrete_contexts.get(method)
    default = contexts._default_context
    if chosen is not None and default._actual_context is None:
        default._default_context = chosen


def _apply(a: _agent.Agent, patch: Any) -> None:
    try:
        patch(a)
    except Exception:
        a.failed()


def _patch_lazy(a: _agent.Agent, patchers: tuple[str, ...]) -> None:
    for patcher in patchers:
        module, _, fn = patcher.partition(":")
        loading = sys.modules.get(f"_mpscope_trace.{module}")
        if loading is not None and getattr(getattr(loading, "__spec__", None), "_initializing", False):
            state.DEFERRED.setdefault(loading.__name__, []).append(fn or "patch")  # see run_deferred
            continue
        try:
            _apply(a, getattr(importlib.import_module(f"_mpscope_trace.{module}"), fn or "patch"))
        except Exception:
            a.failed()


class _PatchOnImport:
    """A meta path finder that lets the stdlib load one of LAZY's modules, then patches it."""

    def __init__(self, a: _agent.Agent) -> None:
        self.a = a

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        patchers = LAZY.get(name)
        if patchers is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        del LAZY[name]  # once
        # Duck-typed: typeshed wants an importlib.abc.Loader, whose defaults (load_module, ...) would
        # shadow _ThenPatch.__getattr__ if it subclassed it. Through Any.
        loader: Any = _ThenPatch(spec.loader, lambda: _patch_lazy(self.a, patchers))
        spec.loader = loader
        return spec


class _ThenPatch:
    """The module's own loader, and then the patch."""

    def __init__(self, loader: Any, after: Any) -> None:
        self.loader, self.after = loader, after

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, ...: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        self.after()
