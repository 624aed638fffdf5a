"""The process's one Agent (None until install), the attribute that marks traced objects, and how a
module-level function is swapped for a traced one."""

from __future__ import annotations

from _mpscope_trace.agent import Agent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

AGENT: Agent | None = None
MARK = "_mpscope"
# module -> patch functions waiting for it to finish loading (see __init__._patch_lazy)
DEFERRED: dict[str, list[str]] = {}


def run_deferred(module: str) -> None:
    """Called last in a patch module: the patches that were due while it was still loading.

    A spawned child that unpickles a marked Value (or Pipe end) imports our module first, by the name
    of its rebuild function; that import loads the stdlib module, whose import hook then wants this
    very module's patch before the module has finished."""
    import sys

    a = AGENT
    for name in DEFERRED.pop(module, []):
        if a is not None:
            try:
                getattr(sys.modules[module], name)(a)
            except Exception:
                a.failed()


def replace_global(module: Any, name: str, fn: Any) -> Any:
    """Replace module.name by fn, pickled by the same reference (Process targets cross spawn by name)."""
    fn.__module__, fn.__qualname__, fn.__name__ = module.__name__, name, name
    setattr(module, name, fn)
    return fn
