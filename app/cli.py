"""The `mpscope` command line: `mpscope serve`."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from app import __version__
from app.config import START_METHODS, Limits, Settings, is_loopback


def build_parser() -> argparse.ArgumentParser:
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
        "--keep-runs", type=int, default=defaults.max_kept_runs, help="finished runs kept in memory (200)"
    )
    serve.add_argument(
        "--viewer-token",
        default=os.environ.get("MPSCOPE_VIEWER_TOKEN"),
        help="audience token, needed to view at all (env MPSCOPE_VIEWER_TOKEN); 'auto' makes one",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.server import create_app

    token, viewer_token = _token(args.token), _token(args.viewer_token)
    if not is_loopback(args.host) and not token:
        print(
            f"mpscope: refusing to bind {args.host}, which is not a loopback address, without a token.\n"
            "Anyone who can reach it could start processes on this machine. Pass --token (or --token auto,\n"
            "or set MPSCOPE_TOKEN), or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    settings = Settings(
        host=args.host,
        port=args.port,
        start_method=args.start_method,
        token=token,
        viewer_token=viewer_token,
        limits=Limits(
            max_active_runs=args.max_runs,
            max_processes_per_run=args.max_processes,
            max_run_seconds=args.max_run_seconds,
            max_events_per_run=args.max_events,
            max_ws_clients=args.max_viewers,
            max_body_bytes=args.max_body,
            max_kept_runs=args.keep_runs,
        ),
    )
    base = f"http://{_shown(args.host)}:{args.port}/"
    print(f"mpscope {__version__}: dashboard on {base}", flush=True)
    if token:
        print(f"presenter URL (can start runs; keep it private): {base}?token={token}", flush=True)
    if viewer_token:
        print(f"audience URL (view only; share it): {base}?view={viewer_token}", flush=True)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=3,
        ws_max_size=64 * 1024,
    )
    return 0


def _token(value: str | None) -> str | None:
    """'auto' makes a fresh random token, as Jupyter does; an empty value means none."""
    if value == "auto":
        return secrets.token_urlsafe(16)
    return value or None


def _shown(host: str) -> str:
    """How to reach a bind address from this machine: a wildcard bind is reached on loopback."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
