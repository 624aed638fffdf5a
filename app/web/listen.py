"""Serving an app with uvicorn on a socket whose kernel send buffer is bounded.

A viewer that stops reading is dropped once its outbox holds --client-buffer bytes (app/outbox.py). But
what the outbox hands on first goes into the kernel's send buffer, and Linux lets that grow by itself to
tcp_wmem's maximum (4 MiB by default): seconds of a busy run that a stalled viewer would hide there,
and memory the server cannot count, for each of up to a thousand viewers. A fixed SO_SNDBUF on the
listening socket is inherited by every accepted connection (Linux and macOS) and turns that growth off,
so a viewer's backlog is the outbox plus at most what is set here. A loopback or LAN viewer that keeps up
is not slowed by it: 256 KiB in flight is 2.5 MB/s even at 100 ms of round trip, far above a run's rate.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp

SEND_BUFFER_BYTES = 128 * 1024  # asked of the kernel per connection; Linux doubles it for its own bookkeeping
STARTUP_FAILED = 1


def serve(app: ASGIApp, host: str, port: int, per_message_deflate: bool) -> int:
    """Run uvicorn until it is told to stop; 0, or STARTUP_FAILED when it could not start (port taken)."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=3,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=per_message_deflate,
    )
    sock = config.bind_socket()  # uvicorn's own: IPv4 or IPv6, SO_REUSEADDR; says why and exits on failure
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
    server = uvicorn.Server(config)
    # As uvicorn.run does: uvicorn handles SIGINT by shutting down, then re-raises KeyboardInterrupt
    # (asyncio.Runner's contract) for the caller to end quietly on.
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0 if server.started else STARTUP_FAILED
