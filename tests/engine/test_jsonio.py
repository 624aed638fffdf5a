"""orjson is only an accelerator: the stdlib fallback (app/jsonio.py) writes the same bytes.

Where orjson installs, the fallback is compared with it directly. Where it has no wheel (Python 3.15
today), orjson's bytes for the same values, recorded here and checked against orjson wherever it is
installed, stand in for it: the fallback is checked on every Python, not only where orjson exists.
"""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from typing import Any

import pytest

from app import jsonio
from app.events import encode_wire, encode_wires

try:
    import orjson
except ImportError:  # no orjson wheel for this Python (pyproject.toml asks for it only where there is one)
    orjson = None  # type: ignore[assignment]

needs_orjson = pytest.mark.skipif(orjson is None, reason="orjson has no wheel for this Python")
TEXT = '所有進程執行完畢 "quoted" back\\slash /slash \n\t\r\b\f \x00\x1f\x7f é 😀'
# (value, what orjson.dumps writes for it)
CASES: list[tuple[Any, bytes]] = [
    (
        {"run": "ab12cd34", "seq": 0, "t": 12, "pid": 4242, "proc": "main", "kind": "run.start", "data": {}},
        b'{"run":"ab12cd34","seq":0,"t":12,"pid":4242,"proc":"main","kind":"run.start","data":{}}',
    ),
    (
        {"nested": {"list": [1, 2.5, -0.0, 1e300, 1e-7, True, False, None], "tuple": (1, "two")}},
        b'{"nested":{"list":[1,2.5,-0.0,1e+300,1e-7,true,false,null],"tuple":[1,"two"]}}',
    ),
    (
        {"text": TEXT},
        (
            '{"text":"所有進程執行完畢 \\"quoted\\" back\\\\slash /slash '
            '\\n\\t\\r\\b\\f \\u0000\\u001f\x7f é 😀"}'
        ).encode(),
    ),
    (
        {"floats": [0.1, 1 / 3, 2.0**53, 123456789.123456789, float("nan"), float("inf"), -math.inf]},
        b'{"floats":[0.1,0.3333333333333333,9007199254740992.0,123456789.12345679,null,null,null]}',
    ),
    (
        {"small": [1e-5, 1.5e-5, -1e-5, 9.99e-6, 1e-6, 5e-324, 1.5e-7, 123e-20]},
        b'{"small":[0.00001,0.000015,-0.00001,9.99e-6,1e-6,5e-324,1.5e-7,1.23e-18]}',
    ),
    (
        {"large": [1e16, 1e22, 1.5e300, 12345678901234567.0, -2.5e17]},
        b'{"large":[1e+16,1e+22,1.5e+300,1.2345678901234568e+16,-2.5e+17]}',
    ),
    ({"big": 2**63 - 1, "small": -(2**63)}, b'{"big":9223372036854775807,"small":-9223372036854775808}'),
    ([], b"[]"),
    ("", b'""'),
    ({"": {"": []}}, b'{"":{"":[]}}'),
]
VALUES = [value for value, _ in CASES]


@pytest.mark.parametrize(("value", "expected"), CASES, ids=range(len(CASES)))
def test_the_stdlib_fallback_writes_the_bytes_orjson_writes(value: Any, expected: bytes) -> None:
    assert jsonio.dumps_std(value) == expected
    assert jsonio.loads_std(expected) == jsonio.loads_std(jsonio.dumps_std(value))


@needs_orjson
@pytest.mark.parametrize(("value", "expected"), CASES, ids=range(len(CASES)))
def test_the_recorded_bytes_are_what_orjson_writes(value: Any, expected: bytes) -> None:
    assert orjson.dumps(value) == expected


@needs_orjson
@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_stdlib_fallback_writes_what_orjson_writes(value: Any) -> None:
    assert jsonio.dumps_std(value) == orjson.dumps(value)
    assert jsonio.loads_std(orjson.dumps(value)) == orjson.loads(orjson.dumps(value))


@needs_orjson
def test_floats_of_every_magnitude_are_spelled_as_orjson_spells_them() -> None:
    rng = random.Random(7)
    floats = [m * 10.0**e for e in range(-320, 308, 3) for m in (1.0, 1.5, -2.25, rng.random(), 9.999)]
    floats += [rng.uniform(-1e6, 1e6) for _ in range(5000)] + [1e-5, 1.5e-5, -1e-5, 9.99e-6, 1e-6, 5e-324]
    assert jsonio.dumps_std(floats) == orjson.dumps(floats)


@needs_orjson
def test_unknown_types_go_through_default_alike() -> None:
    value = {"set": {1}, "error": ValueError("x"), "bytes": b"x", "small": 1.5e-7}
    assert jsonio.dumps_std(value, default=repr) == orjson.dumps(value, default=repr)


def test_a_batch_of_events_encodes_to_the_same_bytes_with_either_backend() -> None:
    wires = [(i, 7, "worker-1", "value.write", {"value": i, "note": "é", "dt": i * 1e-6}) for i in range(50)]
    code = (
        "import sys; from app import jsonio; from app.events import encode_wires;"
        "assert jsonio.BACKEND == 'json';"
        f"sys.stdout.buffer.write(b'\\n'.join(encode_wires('ab12cd34', 5, {wires!r})))"
    )
    env = {**os.environ, "MPSCOPE_JSON": "stdlib"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout
    assert out.split(b"\n") == encode_wires("ab12cd34", 5, wires)
    assert encode_wires("ab12cd34", 5, wires)[3] == encode_wire("ab12cd34", 8, wires[3])


@needs_orjson
def test_orjson_is_imported_at_the_first_use_not_at_import() -> None:
    """Its import costs a short traced program's whole run: a tracer that writes few events uses the
    stdlib's encoder (the same bytes) and never pays for it (app/trace/sinks.py)."""
    code = (
        "import sys; from app import jsonio; from app.events import encode_wires;"
        "assert jsonio.BACKEND == 'orjson';"
        "encode_wires('ab12cd34', 0, [(0, 1, 'p', 'k', {})], jsonio.dumps_std);"
        "assert 'orjson' not in sys.modules, 'imported early';"
        "assert jsonio.loads(jsonio.dumps({'a': [1.5]})) == {'a': [1.5]};"
        "assert 'orjson' in sys.modules and jsonio.dumps is sys.modules['orjson'].dumps"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
