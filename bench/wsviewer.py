"""A minimal WebSocket reader for the viewer benches (fanout.py, broadcast.py).

The handshake, then unmasked server frames parsed straight from the socket's bytes and inflated as a
browser would: permessage-deflate (RFC 7692, with or without context takeover) and the server's frames
compressed once for every viewer (binary, app/frames.py). A library client costs a task switch and
several layers per message; with hundreds of viewers on the same 2 cores as the servers they measure,
the clients would be what is measured. Subclasses get each message's JSON bytes in `message`.
"""

from __future__ import annotations

import asyncio
import time
import zlib

DEFLATE_OFFER = "permessage-deflate; client_max_window_bits"  # what Chromium sends
TAIL = b"\x00\x00\xff\xff"  # RFC 7692: each deflated message ends without its empty stored block


class RawViewer(asyncio.Protocol):
    def __init__(self, host: str, path: str, offer_deflate: bool = True) -> None:
        extensions = f"Sec-WebSocket-Extensions: {DEFLATE_OFFER}\r\n" if offer_deflate else ""
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\n{extensions}\r\n"
        ).encode()
        self.buf = bytearray()
        self.upgraded = False
        self.deflate = False  # the server accepted permessage-deflate
        self.takeover = True  # ... keeping its compression context from message to message
        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        self.connected = 0  # monotonic ns of the upgrade
        self.wire_bytes = 0
        self.close_code = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        self.buf += data
        if not self.upgraded and not self._upgrade(now):
            return
        while len(self.buf) >= 2:
            first, size, head_len = self.buf[0], self.buf[1] & 0x7F, 2
            if size == 126:
                size, head_len = int.from_bytes(self.buf[2:4], "big"), 4
            elif size == 127:
                size, head_len = int.from_bytes(self.buf[2:10], "big"), 10
            if len(self.buf) < head_len + size:
                return
            payload = bytes(self.buf[head_len : head_len + size])
            del self.buf[: head_len + size]
            self.wire_bytes += head_len + size
            opcode = first & 0x0F
            if opcode == 9:  # ping: answer (masked, as a client's frames are), or uvicorn's keepalive closes
                self._write(bytes([0x8A, 0x80 | len(payload)]) + bytes(4) + payload)
            elif opcode == 8:  # close
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                if self.transport is not None:
                    self.transport.close()
                return
            elif opcode in (1, 2):
                if first & 0x40:  # RSV1: compressed by permessage-deflate
                    if not self.takeover:
                        self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                    payload = self.inflater.decompress(payload + TAIL)
                if opcode == 2:  # compressed once by the server, for everyone (app/frames.py)
                    payload = zlib.decompress(payload, -zlib.MAX_WBITS)
                self.message(payload, now)

    def _upgrade(self, now: int) -> bool:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buf[:end]).lower()
        assert head.startswith(b"http/1.1 101"), head[:80]
        self.deflate = b"permessage-deflate" in head
        self.takeover = b"server_no_context_takeover" not in head
        del self.buf[: end + 4]
        self.upgraded, self.connected = True, now
        return True

    def _write(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def message(self, payload: bytes, now: int) -> None:
        """One message's JSON bytes, received at `now` (monotonic ns)."""
        raise NotImplementedError


def seq_span(payload: bytes) -> tuple[int, int, int]:
    """A frame's first seq, last seq and event count, read from its JSON bytes: every event has one
    top-level "seq" (a firehose's data has none), so most viewers need not parse every frame; on the
    same 2 cores as the servers, parsing would be the clients' cost, counted as the servers' latency."""
    count = payload.count(b'"seq":')
    first = int(payload[payload.find(b'"seq":') + 6 :].split(b",", 1)[0])
    last = int(payload[payload.rfind(b'"seq":') + 6 :].split(b",", 1)[0])
    return first, last, count
