"""A run's events, held compactly: the JSON of each event, in seq order, sealed in compressed chunks.

A list with one bytes object per event costs about 190 bytes an event in Python, and a run may hold a
million. Every CHUNK events are sealed into one zlib-compressed blob with an array of offsets: about
20 bytes an event. Recent events stay in a plain list, where live viewers and late joiners read them.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator
from itertools import accumulate

CHUNK = 4096


class EventStore:
    def __init__(self) -> None:
        self._sealed: list[tuple[bytes, array[int]]] = []  # (compressed JSON of CHUNK events, end offsets)
        self._tail: list[bytes] = []

    def __len__(self) -> int:
        return len(self._sealed) * CHUNK + len(self._tail)

    def extend(self, encoded: list[bytes]) -> None:
        self._tail.extend(encoded)
        while len(self._tail) >= CHUNK:
            chunk, self._tail = self._tail[:CHUNK], self._tail[CHUNK:]
            ends = array("I", accumulate(len(e) for e in chunk))
            self._sealed.append((zlib.compress(b"".join(chunk), 1), ends))

    def __getitem__(self, index: slice) -> list[bytes]:
        """Events [start:stop] (a slice with no step), as each event's JSON."""
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("EventStore slices take no step")
        out: list[bytes] = []
        first, last = start // CHUNK, min((stop - 1) // CHUNK, len(self._sealed) - 1) if stop > start else -1
        for n in range(first, last + 1):
            out.extend(self._chunk(n)[max(start - n * CHUNK, 0) : stop - n * CHUNK])
        tail_start = len(self._sealed) * CHUNK
        if stop > tail_start:
            out.extend(self._tail[max(start - tail_start, 0) : stop - tail_start])
        return out

    def __iter__(self) -> Iterator[bytes]:
        for n in range(len(self._sealed)):
            yield from self._chunk(n)
        yield from list(self._tail)

    def _chunk(self, n: int) -> list[bytes]:
        blob, ends = self._sealed[n]
        raw = zlib.decompress(blob)
        starts = [0, *ends[:-1]]
        return [raw[s:e] for s, e in zip(starts, ends, strict=True)]

    @property
    def nbytes(self) -> int:
        """Bytes held by the store's buffers (not counting Python object headers)."""
        sealed = sum(len(blob) + len(ends) * ends.itemsize for blob, ends in self._sealed)
        return sealed + sum(len(e) for e in self._tail)
