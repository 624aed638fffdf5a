"""The event record and its one JSON form."""

from __future__ import annotations

from app import jsonio
from app.events import KINDS, Event, encode_wire, encode_wires, json_array

VOCABULARY = """run.start run.end process.start process.exit lock.wait lock.acquired lock.released value.read
value.write array.read array.write queue.put queue.get pipe.send pipe.recv manager.call pool.task.start
pool.task.end thread.start thread.exit log""".split()


def test_vocabulary_is_complete() -> None:
    assert set(VOCABULARY) <= KINDS


def test_json_round_trip_keeps_every_field() -> None:
    event = Event("3f9a2c1b", 7, 1_532_100, 4121, "worker-1", "value.read", {"name": "counter", "value": 41})
    decoded = jsonio.loads(event.to_json())
    assert decoded == {
        "run": "3f9a2c1b",
        "seq": 7,
        "t": 1_532_100,
        "pid": 4121,
        "proc": "worker-1",
        "kind": "value.read",
        "data": {"name": "counter", "value": 41},
    }
    assert Event.from_json(event.to_json()) == event


def test_from_wire_adds_run_and_seq() -> None:
    event = Event.from_wire("r", 3, (10, 99, "main", "log", {"msg": "hi"}))
    assert (event.run, event.seq, event.t, event.pid, event.proc, event.kind) == (
        "r",
        3,
        10,
        99,
        "main",
        "log",
    )


def test_values_json_cannot_hold_are_shown_not_lost() -> None:
    event = Event("r", 0, 0, 1, "main", "log", {"obj": object(), "pair": (1, 2)})
    data = jsonio.loads(event.to_json())["data"]
    assert data["obj"].startswith("<object object")
    assert data["pair"] == [1, 2]


def test_json_array_joins_encoded_events() -> None:
    events = [Event("r", i, i, 1, "p", "log", {}) for i in range(3)]
    assert [e["seq"] for e in jsonio.loads(json_array([e.to_json() for e in events]))] == [0, 1, 2]
    assert jsonio.loads(json_array([])) == []


def test_encode_wires_is_encode_wire_for_a_whole_batch() -> None:
    tricky = [
        (1, 10, "MainProcess", "log", {"msg": '},{"run":"abcd1234","seq":9'}),  # the boundary, as text
        (2, 11, 'we"ird\nname', "value.write", {"name": "c", "value": 3, "obj": object()}),
        (3, 12, "w", "lock.acquired", {"lock": "lock"}),
    ]
    expected = [encode_wire("abcd1234", 40 + i, w) for i, w in enumerate(tricky)]
    assert encode_wires("abcd1234", 40, tricky) == expected
    # An event whose data holds an event-shaped object: the split cannot be trusted, each is encoded alone.
    copies = [{"run": "abcd1234", "seq": 1}, {"run": "abcd1234", "seq": 2}]  # the second one's `,{` fools it
    nested = [(4, 13, "w", "log", {"copies": copies}), *tricky]
    one_by_one = [encode_wire("abcd1234", i, w) for i, w in enumerate(nested)]
    assert encode_wires("abcd1234", 0, nested) == one_by_one
    assert encode_wires("abcd1234", 0, []) == []
