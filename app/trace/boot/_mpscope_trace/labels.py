"""Names for the primitives a traced program creates: the variable it assigns them to, when the line
says so (`counter = Value("i", 0)` -> "counter"), else the kind and where it was made."""

from __future__ import annotations

import linecache
import re
import reprlib
import sys

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from typing import Any

_ASSIGN = re.compile(r"^\s*(?:self\.)?([A-Za-z_][\w.]*)\s*(?::[^=]*)?=[^=]")
_PAIR = re.compile(r"^\s*\(?\s*([A-Za-z_][\w.]*)\s*,\s*([A-Za-z_][\w.]*)\s*\)?\s*=[^=]")
_INTERNAL = ("multiprocessing", "concurrent.futures", "_mpscope_trace")
_taken: dict[str, int] = {}
_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 8
_PLAIN = (int, float, bool, str, type(None))


def user_frame(depth: int = 2) -> Any:
    """The frame of the caller of the factory, or None when multiprocessing itself made the object
    (a Queue's own lock, a Pool's queues): those are internals, not the program's primitives."""
    frame = sys._getframe(depth)
    name = frame.f_globals.get("__name__", "")
    if name.startswith(_INTERNAL):
        return None
    return frame


def label(kind: str, frame: Any) -> str:
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    m = _ASSIGN.match(line)
    base = m.group(1) if m else f"{kind}@{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}"
    n = _taken.get(base, 0) + 1
    _taken[base] = n
    return base if n == 1 else f"{base}#{n}"


def pair(kind: str, frame: Any) -> tuple[str, str]:
    """Names for the two ends of a Pipe: `parent_conn, child_conn = Pipe()` -> both names."""
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    m = _PAIR.match(line)
    if m:
        return m.group(1), m.group(2)
    base = label(kind, frame)
    return f"{base}[0]", f"{base}[1]"


def show(value: Any) -> Any:
    """A value as it may travel in an event: small plain values as they are, anything else repr()'d
    and shortened (the repr of a user's object can raise: then its type name)."""
    if type(value) in _PLAIN and (type(value) is not str or len(value) <= 60):
        return value
    try:
        return _short.repr(value)
    except Exception:
        return f"<{type(value).__name__}>"
