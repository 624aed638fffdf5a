"""Run history on disk: every run's summary and events in one SQLite file, so runs survive a restart.

The event loop only enqueues (`record_events`, `record_run`, `delete`); one writer thread drains the
queue and commits a batch at most every BATCH_SECONDS or BATCH_EVENTS events, whichever comes first. A
server that is SIGKILLed loses at most the batch it had not committed; on the next start, runs still
`queued` or `running` in the file are marked `interrupted`. A lock file keeps a second server off the
same data directory; `read_run` reads without it (for `mpscope export`), WAL lets it read beside a writer.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from app import jsonio

log = logging.getLogger("mpscope.history")

DB_NAME, LOCK_NAME = "history.sqlite3", "history.lock"
BATCH_SECONDS = 0.1
BATCH_EVENTS = 10_000
READ_CHUNK = 5000  # events per query when a stored run's events are iterated
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, status TEXT NOT NULL, scenario TEXT NOT NULL,
    summary BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, json BLOB NOT NULL, PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
"""
IN_FLIGHT = ("queued", "running")
INTERRUPTED_ERROR = "the server stopped while this run was in flight; its events up to then are kept"


class HistoryBusy(RuntimeError):
    """Another mpscope server holds this data directory."""


def _connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a commit survives a crash of the process
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def _events(conn: sqlite3.Connection, run_id: str, start: int, stop: int) -> list[bytes]:
    rows = conn.execute(
        "SELECT json FROM events WHERE run_id = ? AND seq >= ? AND seq < ? ORDER BY seq",
        (run_id, start, stop),
    )
    return [bytes(row[0]) for row in rows]


def read_run(data_dir: Path, run_id: str) -> tuple[dict[str, Any], list[bytes]] | None:
    """A stored run's summary and events, read-only (a server may be writing beside it); None if absent."""
    path = data_dir / DB_NAME
    if not path.exists():
        return None
    conn = _connect(path, readonly=True)
    try:
        row = conn.execute("SELECT summary FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return jsonio.loads(row[0]), _events(conn, run_id, 0, 1 << 62)
    finally:
        conn.close()


class History:
    def __init__(
        self, data_dir: Path, batch_seconds: float = BATCH_SECONDS, batch_events: int = BATCH_EVENTS
    ) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_NAME
        self._lock_file: TextIO = open(data_dir / LOCK_NAME, "w")  # noqa: SIM115 (held until close)
        import fcntl  # here, not at the top: native Windows has none, and `mpscope` must load there to say so

        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise HistoryBusy(f"another mpscope server is using {data_dir}") from None
        self.batch_seconds, self.batch_events = batch_seconds, batch_events
        self._writer_db = _connect(self.path)
        self._writer_db.executescript(SCHEMA)
        self.interrupted = self._mark_interrupted()
        self._reader = _connect(self.path)
        self._read_lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self.batches = 0  # commits so far (tests and /api/stats)
        self._thread = threading.Thread(target=self._write_loop, name="history-writer", daemon=True)
        self._thread.start()

    # -- the event loop's side: enqueue only ---------------------------------------------------
    def record_events(self, run_id: str, first_seq: int, encoded: list[bytes]) -> None:
        if encoded:
            self._queue.put(("events", run_id, first_seq, encoded))

    def record_run(self, summary: dict[str, Any]) -> None:
        self._queue.put(("run", summary))

    def delete(self, run_id: str) -> None:
        self._queue.put(("delete", run_id))

    def when_stored(self, callback: Callable[[bool], None]) -> None:
        """Call `callback(ok)` on the writer thread once everything enqueued so far is written: ok is
        False when that batch could not be committed (e.g. disk full; it is logged)."""
        self._queue.put(("call", callback))

    def flush(self, timeout: float = 30) -> bool:
        done = threading.Event()
        self.when_stored(lambda ok: done.set())
        return done.wait(timeout)

    def close(self) -> None:
        """Commit what is queued, stop the writer, release the data directory."""
        if self._lock_file.closed:
            return
        self._queue.put(None)
        self._thread.join(60)
        self._reader.close()
        self._lock_file.close()

    # -- reads ---------------------------------------------------------------------------------
    def load_runs(self) -> list[dict[str, Any]]:
        """Every stored run's summary, oldest first."""
        with self._read_lock:
            rows = self._reader.execute("SELECT summary FROM runs ORDER BY created_at").fetchall()
        return [jsonio.loads(row[0]) for row in rows]

    def load_events(self, run_id: str, start: int = 0, stop: int = 1 << 62) -> list[bytes]:
        """Committed events with start <= seq < stop, as each event's JSON, in seq order."""
        with self._read_lock:
            return _events(self._reader, run_id, start, stop)

    # -- the writer thread ---------------------------------------------------------------------
    def _mark_interrupted(self) -> list[str]:
        db = self._writer_db
        rows = db.execute(
            f"SELECT id, summary FROM runs WHERE status IN ({','.join('?' * len(IN_FLIGHT))})", IN_FLIGHT
        ).fetchall()
        db.execute("BEGIN")
        for run_id, blob in rows:
            (count,) = db.execute("SELECT count(*) FROM events WHERE run_id = ?", (run_id,)).fetchone()
            summary = jsonio.loads(blob) | {
                "status": "interrupted",
                "error": INTERRUPTED_ERROR,
                "event_count": count,
                "viewers": 0,
            }
            db.execute(
                "UPDATE runs SET status = 'interrupted', summary = ? WHERE id = ?",
                (jsonio.dumps(summary), run_id),
            )
            log.warning("run %s was in flight when the server stopped: marked interrupted", run_id)
        db.execute("COMMIT")
        return [row[0] for row in rows]

    def _write_loop(self) -> None:
        db = self._writer_db
        running = True
        while running:
            batch = [self._queue.get()]
            deadline, events = time.monotonic() + self.batch_seconds, 0
            while batch[-1] is not None and events < self.batch_events:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
                if batch[-1] is not None and batch[-1][0] == "events":
                    events += len(batch[-1][3])
            if batch[-1] is None:
                running = False
                batch.pop()
            callbacks, ok = self._commit(db, batch)
            for callback in callbacks:
                callback(ok)
        db.close()

    def _commit(
        self, db: sqlite3.Connection, batch: list[tuple[Any, ...] | None]
    ) -> tuple[list[Callable[[bool], None]], bool]:
        callbacks: list[Callable[[bool], None]] = []
        try:
            db.execute("BEGIN")
            for item in batch:
                assert item is not None
                if item[0] == "events":
                    _, run_id, first, encoded = item
                    db.executemany(
                        "INSERT OR REPLACE INTO events (run_id, seq, json) VALUES (?, ?, ?)",
                        _rows(run_id, first, encoded),
                    )
                elif item[0] == "run":
                    s = item[1]
                    db.execute(
                        "INSERT OR REPLACE INTO runs (id, created_at, status, scenario, summary) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (s["id"], s["created_at"], s["status"], s["scenario"], jsonio.dumps(s, default=repr)),
                    )
                elif item[0] == "delete":
                    db.execute("DELETE FROM events WHERE run_id = ?", (item[1],))
                    db.execute("DELETE FROM runs WHERE id = ?", (item[1],))
                else:
                    callbacks.append(item[1])
            db.execute("COMMIT")
            self.batches += 1
            return callbacks, True
        except sqlite3.Error:
            log.exception("could not write %d history records to %s", len(batch), self.path)
            if db.in_transaction:
                db.execute("ROLLBACK")
            return callbacks, False


def _rows(run_id: str, first: int, encoded: list[bytes]) -> Iterator[tuple[str, int, bytes]]:
    for n, event in enumerate(encoded, first):
        yield run_id, n, event


class StoredEvents:
    """A finished run's events read from the history on demand: the same reads as an EventStore."""

    def __init__(self, history: History, run_id: str, count: int) -> None:
        self.history, self.run_id, self.count = history, run_id, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: slice) -> list[bytes]:
        start, stop, step = index.indices(self.count)
        if step != 1:
            raise ValueError("StoredEvents slices take no step")
        return self.history.load_events(self.run_id, start, stop) if stop > start else []

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, self.count, READ_CHUNK):
            yield from self.history.load_events(self.run_id, start, min(start + READ_CHUNK, self.count))

    def extend(self, encoded: list[bytes]) -> None:
        raise RuntimeError(f"run {self.run_id} is finished: its stored events take no more")

    @property
    def nbytes(self) -> int:
        return 0
