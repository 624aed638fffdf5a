"""Settings and limits of one mpscope server, with their documented defaults."""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
from dataclasses import dataclass, field
from pathlib import Path

# The start methods this OS offers, in mpscope's order (Windows has only spawn, and is not supported:
# see cli.py). The server's default is forkserver wherever it exists: a clean single-threaded parent.
START_METHODS = tuple(
    m for m in ("forkserver", "spawn", "fork") if m in multiprocessing.get_all_start_methods()
)
DEFAULT_START_METHOD = START_METHODS[0]


def python_default_start_method() -> str:
    """What a student's own script gets on this Python and OS when it chooses nothing (the first of
    get_all_start_methods(), as the docs define it): fork on Linux up to 3.13, forkserver on Linux from
    3.14, spawn on macOS and Windows."""
    return multiprocessing.get_all_start_methods()[0]


@dataclass(frozen=True)
class Limits:
    max_active_runs: int = 4
    max_processes_per_run: int = 32
    max_run_seconds: float = 60.0
    max_events_per_run: int = 1_000_000
    max_kept_runs: int = 200  # finished runs kept (in memory, and in the history); the oldest goes first
    max_stored_events: int = 10_000_000  # events of all runs together; past it the oldest finished runs go
    max_ws_clients: int = 1000
    max_body_bytes: int = 64 * 1024
    max_import_bytes: int = 64 * 1024 * 1024  # POST /api/runs/import: a run's NDJSON (~500,000 events)
    client_buffer_bytes: int = 8 * 1024 * 1024  # a WebSocket client this far behind is dropped


WS_COMPRESSIONS = ("once", "per-viewer")


@dataclass(frozen=True)
class CodeLimits:
    """What a code run (a program typed into the page) may use: set with setrlimit in its processes,
    plus the run's time and event limits (`Limits`). docs/security.md lists what a user sees at each."""

    cpu_s: int = 10  # RLIMIT_CPU, per process
    address_space_mb: int = 1024  # RLIMIT_AS, per process
    processes: int = 64  # cgroup pids.max (root) or RLIMIT_NPROC: processes and threads of the run
    file_size_mb: int = 64  # RLIMIT_FSIZE: the largest file it may write
    open_files: int = 256  # RLIMIT_NOFILE, per process
    output_bytes: int = 1024 * 1024  # stdout + stderr kept with the run; the rest is read and dropped


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    start_method: str = DEFAULT_START_METHOD
    token: str | None = None  # presenter: needed to start or cancel runs
    viewer_token: str | None = None  # audience: needed to view, when set
    allow_hosts: tuple[str, ...] = ()  # extra Host names to accept (e.g. the laptop's DNS name)
    limits: Limits = field(default_factory=Limits)
    tick_seconds: float = 0.016  # frames to WebSocket clients are coalesced over one tick
    data_dir: Path | None = None  # where the run history (SQLite) lives; None keeps runs in memory only
    broker: str | None = None  # redis://HOST:PORT[/DB]: also publish to edges through it (docs/scale.md)
    broker_keep_seconds: int = 3600  # a run's events stay in the broker this long after its last one
    allow_code: bool = False  # code runs on a non-loopback bind (`mpscope serve --allow-code`)
    code: CodeLimits = field(default_factory=CodeLimits)
    # "once": each frame is compressed once and the same bytes go to every viewer (app/frames.py);
    # "per-viewer": text frames, each viewer's own permessage-deflate (before issue 16; the bench's baseline)
    ws_compression: str = "once"

    def __post_init__(self) -> None:
        if self.start_method not in START_METHODS:
            raise ValueError(f"start method must be one of {', '.join(START_METHODS)}")
        if self.ws_compression not in WS_COMPRESSIONS:
            raise ValueError(f"ws_compression must be one of {', '.join(WS_COMPRESSIONS)}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def default_data_dir() -> Path:
    """Where the run history lives unless told otherwise: $XDG_DATA_HOME/mpscope."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mpscope"
