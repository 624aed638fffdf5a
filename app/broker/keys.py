"""What the origin and its edges agree on in Redis: key names, how a batch of events is one stream
entry, and the broker URL's form. One module, so the two sides cannot drift apart.

A run's events are a Stream, one entry per batch: fields f (first seq), n (events), d (each event's JSON,
joined by newlines: JSON text never holds a raw newline), and an entry with e=1 and n=0 that ends the
stream. An entry's ID is "{first}-1", so a reader that has events up to seq S finds the entry holding
S+1 with one XREVRANGE and never depends on how the origin cut its batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ORIGIN = "mpscope:origin"  # the origin's heartbeat: a JSON note that expires unless renewed
RUNS = "mpscope:runs"  # hash: run id -> the run's summary JSON, as the lobby shows it
LOBBY = "mpscope:lobby"  # stream of lobby changes: i (run id), r (summary JSON, or a deleted note)
SESSIONS = "mpscope:sessions"  # hash: join code -> the audience's latest frame
VIEWS = "mpscope:views"  # stream of presenter changes: c (code), v (frame; empty when it ended)

HEARTBEAT_MS = 1000  # the origin renews its note this often ...
HEARTBEAT_TTL_MS = 3500  # ... and an edge calls it down once the note has expired
LOBBY_MAXLEN = 10_000  # entries of the lobby and views streams (~): edges only need the recent tail
CHUNK_EVENTS = 2000  # events per stream entry at most (a late edge reads a long run in chunks)


def run_key(run_id: str) -> str:
    return f"mpscope:run:{run_id}"


def entry_id(first: int) -> str:
    return f"{first}-1"


@dataclass(frozen=True)
class Entry:
    """One stream entry of a run: `events` start at seq `first`; `end`: the run's stream is complete."""

    id: bytes
    first: int
    events: list[bytes]
    end: bool

    @classmethod
    def parse(cls, raw: Any) -> Entry:
        """From a RESP2 stream entry: [id, [field, value, field, value, ...]]."""
        entry_id, flat = raw
        fields = dict(zip(flat[::2], flat[1::2], strict=True))
        n = int(fields.get(b"n", 0))
        data = fields.get(b"d", b"")
        events = data.split(b"\n") if n else []
        if len(events) != n:
            raise ValueError(f"stream entry {entry_id!r}: {len(events)} events, expected {n}")
        return cls(entry_id, int(fields[b"f"]), events, fields.get(b"e") == b"1")


def check_url(url: str) -> str:
    """The broker URL if it has the form redis://HOST:PORT[/DB]; ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError(f"--broker must be redis://HOST:PORT[/DB], not {url!r} (scheme {parts.scheme!r})")
    if not parts.hostname:
        raise ValueError(f"--broker {url!r} names no host: redis://HOST:PORT[/DB]")
    try:
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        raise ValueError(f"--broker {url!r}: the port must be 1-65535") from None
    db = parts.path.strip("/")
    if db and not (db.isdigit() and int(db) < 16):
        raise ValueError(f"--broker {url!r}: the database must be a number from 0 to 15")
    return url
