"""WebSocket frames encoded once and compressed once, whatever the number of viewers.

A frame (a JSON array of events, a lobby update, a presenter view) goes to many viewers. Left to the
WebSocket layer, permessage-deflate compresses it again for each viewer, and that grew with the audience
(15% of the server's time at 500 viewers, issue 16). Here a frame is a `Frame`: its JSON bytes, and the
raw deflate of them (RFC 1951, what the browser's `DecompressionStream("deflate-raw")` inflates) made at
most once per frame and sent as the same bytes, in a binary message, to every viewer that reads
compressed frames. A viewer that asked for `?encoding=json` gets the JSON as a text message instead.
The server turns permessage-deflate off (app/cli.py), so nothing compresses those bytes a second time.
docs/scale.md explains the choice. No web framework here: the Redis edges reuse it as it is.
"""

from __future__ import annotations

import zlib
from typing import Any, Literal

from app import jsonio

Encoding = Literal["deflate", "json"]
ENCODINGS: tuple[Encoding, ...] = ("deflate", "json")
LEVEL = 6  # live frames: compressed once per tick for everyone, so the better ratio is worth its time
BACKLOG_LEVEL = 1  # history for one late joiner (up to millions of events): speed first


class Counters:
    """How many compressions this process has made, and of how many bytes, for /api/stats and tests."""

    compressions = 0
    bytes_in = 0
    bytes_out = 0


def deflate_raw(data: bytes, level: int = LEVEL) -> bytes:
    """Raw deflate (no zlib header or checksum), as `DecompressionStream("deflate-raw")` reads it."""
    c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    out = c.compress(data) + c.flush()
    Counters.compressions += 1
    Counters.bytes_in += len(data)
    Counters.bytes_out += len(out)
    return out


def inflate_raw(data: bytes) -> bytes:
    return zlib.decompress(data, -zlib.MAX_WBITS)


class Frame:
    """One frame for every viewer: its JSON, and the JSON compressed on first need, then kept."""

    __slots__ = ("_deflated", "_text", "json", "level")

    def __init__(self, json: bytes, level: int = LEVEL) -> None:
        self.json = json
        self.level = level
        self._deflated: bytes | None = None
        self._text: str | None = None

    @property
    def deflated(self) -> bytes:
        """The compressed bytes: made by the first viewer (or the hub) that needs them, shared after."""
        if self._deflated is None:
            self._deflated = deflate_raw(self.json, self.level)
        return self._deflated

    @property
    def compressed(self) -> bool:
        return self._deflated is not None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.json.decode()
        return self._text

    def payload(self, encoding: Encoding) -> bytes | str:
        """What a viewer reading `encoding` is sent: bytes go as a binary message, str as text."""
        return self.deflated if encoding == "deflate" else self.text

    def __len__(self) -> int:
        """What the frame weighs in a viewer's outbox (its JSON: the most it can cost)."""
        return len(self.json)


def decode(message: bytes | str) -> Any:
    """A frame as a client reads it (static/js/socket.js does the same): a binary message is raw
    deflate of JSON, a text message is JSON. For Python clients: tests, benchmarks, `mpscope edge`."""
    return jsonio.loads(inflate_raw(message) if isinstance(message, bytes) else message)
