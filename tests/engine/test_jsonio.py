"""orjson is only an accelerator: the stdlib fallback (app/jsonio.py) writes the same bytes."""

from __future__ import annotations

import math
import os
import random
import subprocess
import sys
from typing import Any

import orjson
import pytest

from app import jsonio
from app.events import encode_wire, encode_wires

VALUES: list[Any] = [
    {"run": "ab12cd34", "seq": 0, "t": 12, "pid": 4242, "proc": "main", "kind": "run.start", "data": {}},
    {"nested": {"list": [1, 2.5, -0.0, 1e300, 1e-7, True, False, None], "tuple": (1, "two")}},
    {"text": '所有進程執行完畢 "quoted" back\\slash /slash \n\t\r\b\f \x00\x1f\x7f é 😀'},
    {"floats": [0.1, 1 / 3, 2.0**53, 123456789.123456789, float("nan"), float("inf"), -math.inf]},
    {"big": 2**63 - 1, "small": -(2**63)},
    [],
    "",
    {"": {"": []}},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_the_stdlib_fallback_writes_what_orjson_writes(value: Any) -> None:
    assert jsonio.dumps_std(value) == orjson.dumps(value)
    assert jsonio.loads_std(orjson.dumps(value)) == orjson.loads(orjson.dumps(value))


def test_floats_of_every_magnitude_are_spelled_as_orjson_spells_them() -> None:
    rng = random.Random(7)
    floats = [m * 10.0**e for e in range(-320, 308, 3) for m in (1.0, 1.5, -2.25, rng.random(), 9.999)]
    floats += [rng.uniform(-1e6, 1e6) for _ in range(5000)] + [1e-5, 1.5e-5, -1e-5, 9.99e-6, 1e-6, 5e-324]
    assert jsonio.dumps_std(floats) == orjson.dumps(floats)


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
