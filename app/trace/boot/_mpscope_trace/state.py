"""The process's one Agent (None until install), the attribute that marks traced objects, and how a
module-level function is swapped for a traced one."""

from __future__ import annotations

from _mpscope_trace.agent import Agent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

AGENT: Agent | None = None
MARK = "_mpscope"


def replace_global(module: Any, name: str, fn: Any) -> Any:
    """Replace module.name by fn, pickled by the same reference (Process targets cross spawn by name)."""
    fn.__module__, fn.__qualname__, fn.__name__ = module.__name__, name, name
    setattr(module, name, fn)
    return fn
