"""The `mpscope` command line: `mpscope serve`, `export`/`import` against a running server, and `trace`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from app import __version__

if TYPE_CHECKING:
    from app.config import Limits


def build_parser() -> argparse.ArgumentParser:
    from app.config import START_METHODS, WS_COMPRESSIONS, CodeLimits, Limits, Settings, default_data_dir
    from app.trace import command as trace_command

    parser = argparse.ArgumentParser(prog="mpscope", description="Live visualizer of Python multiprocessing.")
    parser.add_argument("--version", action="version", version=f"mpscope {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the dashboard server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--start-method",
        choices=START_METHODS,
        default="forkserver",
        help="default start method for scenario processes (default forkserver)",
    )
    serve.add_argument(
        "--token",
        default=os.environ.get("MPSCOPE_TOKEN"),
        help="presenter token, needed to start or cancel runs (env MPSCOPE_TOKEN); 'auto' makes one",
    )
    defaults = Limits()
    limits = serve.add_argument_group("limits")
    limits.add_argument("--max-runs", type=int, default=defaults.max_active_runs, help="concurrent runs (4)")
    limits.add_argument(
        "--max-processes", type=int, default=defaults.max_processes_per_run, help="processes per run (32)"
    )
    limits.add_argument(
        "--max-run-seconds", type=float, default=defaults.max_run_seconds, help="seconds per run (60)"
    )
    limits.add_argument(
        "--max-events", type=int, default=defaults.max_events_per_run, help="events per run (1,000,000)"
    )
    limits.add_argument(
        "--max-viewers", type=int, default=defaults.max_ws_clients, help="WebSocket viewers (1,000)"
    )
    limits.add_argument(
        "--max-body", type=int, default=defaults.max_body_bytes, help="request body bytes (65,536)"
    )
    limits.add_argument(
        "--max-import",
        type=int,
        default=defaults.max_import_bytes,
        help="bytes of an imported run's NDJSON (67,108,864)",
    )
    limits.add_argument(
        "--keep-runs", type=int, default=defaults.max_kept_runs, help="finished runs kept (200)"
    )
    limits.add_argument(
        "--max-stored-events",
        type=int,
        default=defaults.max_stored_events,
        help="events of all kept runs together (10,000,000); the oldest finished runs go first",
    )
    limits.add_argument(
        "--ws-compression",
        choices=WS_COMPRESSIONS,
        default="once",
        help="once: each WebSocket frame is compressed once and the same bytes go to every viewer "
        "(default); per-viewer: text frames that each connection's permessage-deflate compresses "
        "(the cost grows with the audience; kept as the fan-out bench's baseline)",
    )
    limits.add_argument(
        "--client-buffer",
        type=int,
        default=defaults.client_buffer_bytes,
        metavar="BYTES",
        help="bytes a WebSocket viewer may fall behind before it is dropped (8,388,608); "
        "the dashboard then reconnects and resumes",
    )
    serve.add_argument(
        "--data-dir",
        default=os.environ.get("MPSCOPE_DATA_DIR") or str(default_data_dir()),
        help="where the run history (SQLite) is kept (env MPSCOPE_DATA_DIR; default "
        "$XDG_DATA_HOME/mpscope or ~/.local/share/mpscope); ':memory:' keeps runs in memory only",
    )
    serve.add_argument(
        "--no-history", action="store_true", help="keep runs in memory only (the same as --data-dir :memory:)"
    )
    serve.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also accept this Host name (a DNS name the audience uses); repeatable. Loopback names, "
        "the bound address and, on 0.0.0.0, this machine's own addresses are always accepted",
    )
    serve.add_argument(
        "--viewer-token",
        default=os.environ.get("MPSCOPE_VIEWER_TOKEN"),
        help="audience token, needed to view at all (env MPSCOPE_VIEWER_TOKEN); 'auto' makes one",
    )
    serve.add_argument(
        "--allow-code",
        action="store_true",
        help="allow code runs (programs typed into the page, run on this machine, contained: see "
        "docs/security.md) on a non-loopback bind too; on 127.0.0.1 they are always allowed to the presenter",
    )
    code = serve.add_argument_group("code runs (limits per process of a program typed into the page)")
    cdefaults = CodeLimits()
    code.add_argument("--code-cpu", type=int, default=cdefaults.cpu_s, metavar="S", help="CPU seconds (10)")
    code.add_argument(
        "--code-memory",
        type=int,
        default=cdefaults.address_space_mb,
        metavar="MB",
        help="address space (1024)",
    )
    code.add_argument(
        "--code-processes",
        type=int,
        default=cdefaults.processes,
        metavar="N",
        help="processes and threads of the whole run (64)",
    )
    code.add_argument(
        "--code-file-size", type=int, default=cdefaults.file_size_mb, metavar="MB", help="largest file (64)"
    )
    code.add_argument(
        "--code-open-files", type=int, default=cdefaults.open_files, metavar="N", help="open files (256)"
    )
    serve.add_argument(
        "--broker",
        default=os.environ.get("MPSCOPE_BROKER"),
        metavar="URL",
        help="also publish every run, the lobby and presenter views to Redis at redis://HOST:PORT[/DB] "
        "(env MPSCOPE_BROKER), for `mpscope edge` servers to show (docs/scale.md)",
    )
    serve.add_argument(
        "--broker-keep",
        type=int,
        default=Settings.broker_keep_seconds,
        metavar="SECONDS",
        help="how long a run's events stay in the broker after its last event (3600)",
    )
    _edge_command(commands, defaults)
    _client_commands(commands)
    trace_command.add_parser(commands)
    return parser


def _edge_command(commands: argparse._SubParsersAction[argparse.ArgumentParser], defaults: Limits) -> None:
    edge = commands.add_parser(
        "edge",
        help="serve viewers from a broker, read-only (runs start on `mpscope serve --broker`)",
        description="An edge serves the pages, the read APIs and every WebSocket from the broker that an "
        "origin (`mpscope serve --broker URL`) publishes to. Run as many as the audience needs, on any "
        "hosts, behind any load balancer. It changes nothing: every mutating request answers 405.",
    )
    edge.add_argument(
        "--broker",
        required=True,
        default=os.environ.get("MPSCOPE_BROKER"),
        metavar="URL",
        help="the origin's broker, redis://HOST:PORT[/DB]",
    )
    edge.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    edge.add_argument("--port", type=int, default=8001, help="port (default 8001)")
    edge.add_argument(
        "--token", default=os.environ.get("MPSCOPE_TOKEN"), help="presenter token (env MPSCOPE_TOKEN)"
    )
    edge.add_argument(
        "--viewer-token",
        default=os.environ.get("MPSCOPE_VIEWER_TOKEN"),
        help="audience token, needed to view at all (env MPSCOPE_VIEWER_TOKEN)",
    )
    edge.add_argument(
        "--allow-host", action="append", default=[], metavar="NAME", help="also accept this Host"
    )
    edge.add_argument(
        "--max-viewers", type=int, default=defaults.max_ws_clients, help="WebSocket viewers (1,000)"
    )
    edge.add_argument(
        "--client-buffer",
        type=int,
        default=defaults.client_buffer_bytes,
        metavar="BYTES",
        help="bytes a WebSocket viewer may fall behind before it is dropped (8,388,608)",
    )


def _client_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    note = (
        "It talks to a running server (--server). With --data-dir (or MPSCOPE_DATA_DIR) it works on the "
        "run history in that directory instead, with no server: export reads a run from it (also while a "
        "server runs), import stores a run into it (only while no server uses it)."
    )
    export = commands.add_parser(
        "export", help="save a run as Perfetto JSON, NDJSON or an offline HTML page", description=note
    )
    export.add_argument("run_id", metavar="RUN_ID")
    export.add_argument(
        "--format",
        choices=("perfetto", "ndjson", "html"),
        default="perfetto",
        help="perfetto: Chrome trace JSON for ui.perfetto.dev or chrome://tracing; ndjson: the raw events "
        "(what import takes); html: a self-contained page that replays the run offline (default perfetto)",
    )
    export.add_argument("-o", "--output", help="file to write, '-' for stdout (default mpscope-RUN_ID.EXT)")
    imp = commands.add_parser(
        "import", help="load a run's NDJSON (from export) as a new run", description=note
    )
    imp.add_argument("file", metavar="FILE", help="NDJSON from `mpscope export --format ndjson`")
    for sub in (export, imp):
        sub.add_argument(
            "--server",
            default=os.environ.get("MPSCOPE_URL", "http://127.0.0.1:8000"),
            help="the server's URL (env MPSCOPE_URL; default http://127.0.0.1:8000)",
        )
        sub.add_argument("--token", default=os.environ.get("MPSCOPE_TOKEN"), help="token (env MPSCOPE_TOKEN)")
        sub.add_argument(
            "--data-dir",
            default=os.environ.get("MPSCOPE_DATA_DIR"),
            help="work on the run history in DIR, with no server (env MPSCOPE_DATA_DIR)",
        )


def main(argv: list[str] | None = None) -> int:
    first = (sys.argv[1:] if argv is None else argv)[:1]
    if first == ["serve"] and sys.platform == "win32":
        # Runs need process groups, killpg and fork-or-forkserver lessons: rather stop than half-work.
        # Checked before the parser, which imports the settings and with them multiprocessing.
        print(
            f"mpscope {first[0]}: native Windows is not supported (no process groups to stop a run "
            "with). Use WSL: install Ubuntu from the Microsoft Store, then pip install mpscope there.",
            file=sys.stderr,
        )
        return 2
    if first == ["trace"]:
        return _trace(argv)
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "edge":
        return edge(args)
    if args.command == "export":
        return export(args)
    if args.command == "import":
        return import_(args)
    return 2


def _trace(argv: list[str] | None) -> int:
    """`mpscope trace`, started and ended fast: a short program's slowdown is mostly our own start-up
    and exit (bench/trace.py measures it). Only the trace command's modules are imported (not the
    server's configuration, nor the other commands'), and, run as the program itself (argv None),
    the interpreter leaves with os._exit once the trace is written and our output flushed: nothing
    of ours is left to tear down, and tearing down its modules cost ~15 ms."""
    from app.trace import command as trace_command

    parser = argparse.ArgumentParser(
        prog="mpscope",
        description="Live visualizer of Python multiprocessing.",
        formatter_class=trace_command.formatter,
    )
    trace_command.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    if sys.platform == "win32":
        print("mpscope trace: native Windows is not supported; use WSL", file=sys.stderr)
        return 2
    code = trace_command.run(args)
    if argv is None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def export(args: argparse.Namespace) -> int:
    if args.data_dir:
        return _export_stored(args)
    url = f"{args.server.rstrip('/')}/api/runs/{args.run_id}/export?format={args.format}"
    status, body, headers = _request(url, args.token)
    if status != 200:
        return _failed(status, body)
    name = headers.get("content-disposition", "").partition('filename="')[2].rstrip('"')
    return _write(args, body, name or f"mpscope-{args.run_id}")


def _write(args: argparse.Namespace, body: bytes, name: str) -> int:
    if args.output == "-":
        sys.stdout.buffer.write(body)
        return 0
    output = args.output or name
    with open(output, "wb") as f:
        f.write(body)
    print(f"wrote {output} ({len(body):,} bytes)", file=sys.stderr)
    return 0


def _export_stored(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.export.formats import FORMATS, render
    from app.storage.history import read_run

    stored = read_run(Path(args.data_dir), args.run_id)
    if stored is None:
        print(f"mpscope: no run with id {args.run_id!r} in {args.data_dir}", file=sys.stderr)
        return 1
    body = render(args.format, *stored)
    return _write(args, body, f"mpscope-{args.run_id}.{FORMATS[args.format][1]}")


def _import_stored(args: argparse.Namespace, data: bytes) -> int:
    from pathlib import Path

    from app.config import Limits
    from app.engine.book import RunBook
    from app.engine.ports import NullPublisher
    from app.export.formats import ImportProblem
    from app.export.imports import import_run
    from app.storage.history import History, HistoryBusy

    try:
        history = History(Path(args.data_dir))
    except HistoryBusy as exc:
        print(f"mpscope: {exc}; import through it with --server URL", file=sys.stderr)
        return 1
    try:
        run = import_run(RunBook(Limits(), NullPublisher(), history), data)
    except ImportProblem as exc:
        print(f"mpscope: {exc}", file=sys.stderr)
        return 1
    finally:
        history.close()
    print(run.id)
    return 0


def import_(args: argparse.Namespace) -> int:
    with open(args.file, "rb") as f:
        data = f.read()
    if args.data_dir:
        return _import_stored(args, data)
    server = args.server.rstrip("/")
    status, body, _ = _request(f"{server}/api/runs/import", args.token, data)
    if status != 201:
        return _failed(status, body)
    run = json.loads(body)
    print(f"{server}/runs/{run['id']}")
    return 0


def _request(url: str, token: str | None, data: bytes | None = None) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) of one request; HTTP errors are answers too."""
    import urllib.error  # here, not at the top: `mpscope trace` starts faster without it
    import urllib.request

    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/x-ndjson")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {}
    except urllib.error.URLError as exc:
        return 0, f"cannot reach {url}: {exc.reason}".encode(), {}


def _failed(status: int, body: bytes) -> int:
    try:
        detail = json.loads(body)["detail"]
    except (ValueError, KeyError, TypeError):
        detail = body.decode(errors="replace")
    print(f"mpscope: {f'HTTP {status}: ' if status else ''}{detail}", file=sys.stderr)
    return 1


def serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.code import cmdline
    from app.config import CodeLimits, Limits, Settings, is_loopback
    from app.storage.history import HistoryBusy
    from app.web import listen
    from app.web.server import create_app

    token, viewer_token = _token(args.token), _token(args.viewer_token)
    cmdline.blank([args.token, args.viewer_token])  # every process may read a command line
    if not is_loopback(args.host) and not token:
        print(
            f"mpscope: refusing to bind {args.host}, which is not a loopback address, without a token.\n"
            "Anyone who can reach it could start processes on this machine. Pass --token (or --token auto,\n"
            "or set MPSCOPE_TOKEN), or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    broker = _broker(args.broker)
    if broker == "":
        return 2
    settings = Settings(
        host=args.host,
        port=args.port,
        start_method=args.start_method,
        token=token,
        viewer_token=viewer_token,
        allow_hosts=tuple(args.allow_host),
        limits=Limits(
            max_active_runs=args.max_runs,
            max_processes_per_run=args.max_processes,
            max_run_seconds=args.max_run_seconds,
            max_events_per_run=args.max_events,
            max_ws_clients=args.max_viewers,
            max_body_bytes=args.max_body,
            max_import_bytes=args.max_import,
            max_kept_runs=args.keep_runs,
            max_stored_events=args.max_stored_events,
            client_buffer_bytes=args.client_buffer,
        ),
        ws_compression=args.ws_compression,
        data_dir=None if args.no_history or args.data_dir == ":memory:" else Path(args.data_dir),
        broker=broker,
        broker_keep_seconds=args.broker_keep,
        allow_code=args.allow_code,
        code=CodeLimits(
            cpu_s=args.code_cpu,
            address_space_mb=args.code_memory,
            processes=args.code_processes,
            file_size_mb=args.code_file_size,
            open_files=args.code_open_files,
        ),
    )
    base = f"http://{_shown(args.host)}:{args.port}/"
    print(f"mpscope {__version__}: dashboard on {base}", flush=True)
    if token:
        print(f"presenter URL (can start runs; keep it private): {base}?token={token}", flush=True)
    # The audience reaches a wildcard bind by this machine's LAN address, not by 127.0.0.1.
    from app.web.security import WILDCARDS  # starlette: only the server needs it

    shared = [f"http://{ip}:{args.port}/" for ip in _lan_addresses()] if args.host in WILDCARDS else []
    for url in shared or [base]:
        print(
            f"audience URL (view only; share it): {url}" + (f"?view={viewer_token}" if viewer_token else "")
        )
    try:
        app = create_app(settings)
    except (HistoryBusy, OSError) as exc:
        print(f"mpscope: cannot keep the run history in {settings.data_dir}: {exc}", file=sys.stderr)
        return 2
    if settings.data_dir is not None:
        print(f"run history: {settings.data_dir}", flush=True)
    # Frames come compressed once for all viewers (app/frames.py): compressing them again for each
    # connection would cost what that saves. per-viewer mode is the old way, deflate per connection.
    return listen.serve(
        app, args.host, args.port, per_message_deflate=settings.ws_compression == "per-viewer"
    )


def _broker(url: str | None) -> str | None:
    """The checked broker URL; "" (after saying why) when it is malformed."""
    from app.broker.keys import check_url

    if not url:
        return None
    try:
        return check_url(url)
    except ValueError as exc:
        print(f"mpscope: {exc}", file=sys.stderr)
        return ""


def edge(args: argparse.Namespace) -> int:
    from app.config import Limits, Settings, is_loopback
    from app.web import listen
    from app.web.edge import create_edge_app

    token, viewer_token = _token(args.token), _token(args.viewer_token)
    if not is_loopback(args.host) and not token:
        print(
            f"mpscope: refusing to bind {args.host}, which is not a loopback address, without a token "
            "(--token, or MPSCOPE_TOKEN), or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    broker = _broker(args.broker)
    if not broker:
        return 2
    settings = Settings(
        host=args.host,
        port=args.port,
        token=token,
        viewer_token=viewer_token,
        allow_hosts=tuple(args.allow_host),
        limits=Limits(max_ws_clients=args.max_viewers, client_buffer_bytes=args.client_buffer),
        broker=broker,
        data_dir=None,
    )
    print(f"mpscope {__version__} edge: dashboard on http://{_shown(args.host)}:{args.port}/ from {broker}")
    print("read-only: runs start, stop and change on the origin (`mpscope serve --broker`)", flush=True)
    # Frames are compressed once, for every viewer (app/frames.py).
    return listen.serve(create_edge_app(settings, broker), args.host, args.port, per_message_deflate=False)


def _token(value: str | None) -> str | None:
    """'auto' makes a fresh random token, as Jupyter does; an empty value means none."""
    import secrets

    if value == "auto":
        return secrets.token_urlsafe(16)
    return value or None


def _lan_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses, for the URL an audience can open."""
    from app.web.security import interface_addresses

    return sorted(a for a in interface_addresses() if "." in a and not a.startswith("127."))


def _shown(host: str) -> str:
    """How to reach a bind address from this machine: a wildcard bind is reached on loopback."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
