"""JSON in one place: orjson where it installs, the stdlib where it does not, the same bytes either way.

orjson is only an accelerator (about 5x faster on the relay's hot path), and it publishes wheels later
than CPython does: on a Python it has no wheel for, pip would try to build it with a Rust compiler.
pyproject.toml asks for it only where wheels exist; everywhere else this module uses `json`, tuned to
write exactly what orjson writes (compact, UTF-8, NaN and infinities as null, orjson's float spelling);
tests/test_jsonio.py checks both. MPSCOPE_JSON=stdlib picks the stdlib even where orjson is installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections.abc import Callable
from typing import Any

# orjson is imported at the first dumps() or loads(), not here: its import (it loads uuid, platform,
# dataclasses, datetime and enum to know their types) costs ~15 ms, as much as a short traced
# program's whole run, and the tracer writes a short program's few events with dumps_std (see
# app/trace/sinks.py). Where it is wanted and installed is known without importing it.
HAS_ORJSON = os.environ.get("MPSCOPE_JSON") != "stdlib" and importlib.util.find_spec("orjson") is not None

# orjson.JSONDecodeError subclasses json.JSONDecodeError: catching this one catches both.
JSONDecodeError = json.JSONDecodeError
BACKEND = "orjson" if HAS_ORJSON else "json"


def dumps_std(obj: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """The stdlib's encoding, byte for byte what orjson writes for the same value."""
    try:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=default)
    except ValueError:  # a NaN or an infinity somewhere: orjson writes null for those
        text = _encode(obj, default)
    if "e-0" in text:  # maybe a float under 1e-4, which orjson spells differently (rare): the slow path
        text = _encode(obj, default)
    return text.encode()


def loads_std(raw: bytes | bytearray | memoryview | str) -> Any:
    return json.loads(bytes(raw) if isinstance(raw, memoryview) else raw)


def _encode(obj: Any, default: Callable[[Any], Any] | None) -> str:
    """A small JSON encoder that spells floats as orjson does."""
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if obj is None or isinstance(obj, bool):
        return "null" if obj is None else "true" if obj else "false"
    if isinstance(obj, int):
        return int.__repr__(obj)
    if isinstance(obj, float):
        return _float(obj)
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"Dict key must be str, not {type(key).__name__}")
            items.append(f"{json.dumps(key, ensure_ascii=False)}:{_encode(value, default)}")
        return "{" + ",".join(items) + "}"
    if isinstance(obj, list | tuple):
        return "[" + ",".join(_encode(v, default) for v in obj) + "]"
    if default is None:
        raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")
    return _encode(default(obj), None)


def _float(f: float) -> str:
    """orjson's spelling: null for NaN and infinities; under 1e-4, 0.0000D... for an exponent of -5,
    else the exponent without a leading zero (1e-7, not 1e-07); otherwise what repr() writes."""
    if not math.isfinite(f):
        return "null"
    text = float.__repr__(f)
    if "e-0" not in text:
        return text
    mantissa, exponent = text.split("e-")
    if int(exponent) != 5:
        return f"{mantissa}e-{int(exponent)}"
    sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    return f"{sign}0.0000{digits.replace('.', '')}"


def _use_orjson() -> bool:
    """Import orjson and make `dumps` and `loads` its own functions from now on (False: it would not
    import after all, and the stdlib's stay)."""
    global dumps, loads
    try:
        import orjson
    except ImportError:  # pragma: no cover - find_spec found a module that does not import
        dumps, loads = dumps_std, loads_std
        return False
    dumps, loads = orjson.dumps, orjson.loads
    return True


def _first_dumps(obj: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    _use_orjson()
    return dumps(obj, default=default)


def _first_loads(raw: bytes | bytearray | memoryview | str) -> Any:
    _use_orjson()
    return loads(raw)


# Callers use `jsonio.dumps(...)` (an attribute, looked up at each call), so they get orjson's own
# function, with no wrapper, from the first call on.
dumps: Callable[..., bytes] = _first_dumps if HAS_ORJSON else dumps_std
loads: Callable[[bytes | bytearray | memoryview | str], Any] = _first_loads if HAS_ORJSON else loads_std
