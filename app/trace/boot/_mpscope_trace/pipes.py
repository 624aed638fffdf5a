"""Pipe connections the program creates: send and recv on each end, and waits for a message."""

from __future__ import annotations

from multiprocessing import connection, reduction

from _mpscope_trace import labels, state
from _mpscope_trace.agent import WAIT_GRACE_S, Agent
from _mpscope_trace.state import MARK

TYPE_CHECKING = False  # typing costs a traced process ~4 ms to import: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _rebuild(fn: Any, args: Any, mark: Any) -> Any:
    conn = fn(*args)
    conn.__dict__[MARK] = mark
    return conn


def patch(a: Agent) -> None:
    orig_pipe = connection.Pipe
    # typeshed has no connection.reduce_connection (defined per platform): through Any
    connection_internals: Any = connection
    orig_reduce: Callable[[Any], tuple[Any, tuple[Any, ...]]] = connection_internals.reduce_connection

    def pipe(duplex: bool = True, _depth: int = 2) -> Any:
        ends = orig_pipe(duplex)
        try:
            frame = labels.user_frame(_depth)
            if frame is not None:
                first, second = labels.pair("Pipe", frame)
                name = f"{first} / {second}"
                ends[0].__dict__[MARK] = ("pipe", name, first)
                ends[1].__dict__[MARK] = ("pipe", name, second)
        except Exception:
            a.failed()
        return ends

    def reduce(conn: Any) -> Any:
        fn, args = orig_reduce(conn)
        mark = conn.__dict__.get(MARK)
        return (fn, args) if mark is None else (_rebuild, (fn, args, mark))

    pipe_internals: Any = pipe
    pipe_internals.takes_depth = True  # factories.py's BaseContext.Pipe passes the program's depth
    connection.Pipe = pipe
    reduction.register(connection.Connection, reduce)

    base = connection._ConnectionBase
    orig_send, orig_recv = base.send, base.recv

    def send(self: Any, obj: Any) -> None:
        orig_send(self, obj)
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                a.emit("pipe.send", {"pipe": mark[1], "end": mark[2], "msg": labels.show(obj)})
            except Exception:
                a.failed()

    def recv(self: Any) -> Any:
        mark = self.__dict__.get(MARK)
        if mark is not None:
            try:
                if not self.poll(0):
                    a.note("pipe.wait", {"pipe": mark[1], "end": mark[2]})
                    if not self.poll(WAIT_GRACE_S):  # a real wait: whoever watches must see it now
                        a.flush()
            except Exception:
                a.failed()
        obj = orig_recv(self)
        if mark is not None:
            try:
                a.emit("pipe.recv", {"pipe": mark[1], "end": mark[2], "msg": labels.show(obj)})
            except Exception:
                a.failed()
        return obj

    base.send, base.recv = send, recv  # type: ignore[method-assign]


state.run_deferred(__name__)  # last: see state.run_deferred
