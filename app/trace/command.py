"""The `mpscope trace` subcommand: arguments, then where the events go (file, server, embedded server)."""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.trace.sinks import Sink
    from app.trace.tracer import Target


def formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's own help formatter, given the width it would work out itself. Left to do that, it
    imports shutil for the terminal's size (and with it lzma and bz2: 2-8 ms of every trace's start,
    before the program starts) each time an argument is added. The same rule as
    shutil.get_terminal_size: $COLUMNS, else the terminal of stdout, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return argparse.HelpFormatter(prog, width=(columns or 80) - 2)


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "trace",
        formatter_class=formatter,
        help="run your own multiprocessing program and watch it live",
        description="Run PROGRAM (a script, or -m MODULE) unchanged, with multiprocessing instrumented in "
        "every process it starts. Events go to --out FILE.ndjson, or to the server at --server / "
        "MPSCOPE_URL, or else to an embedded server on a free loopback port. "
        "Exits with the program's exit code.",
    )
    p.add_argument(
        "--server", default=os.environ.get("MPSCOPE_URL"), help="a running mpscope (env MPSCOPE_URL)"
    )
    p.add_argument("--token", default=os.environ.get("MPSCOPE_TOKEN"), help="its token (env MPSCOPE_TOKEN)")
    p.add_argument("--out", metavar="FILE.ndjson", help="write the events to FILE, with no server at all")
    p.add_argument("--open", action="store_true", help="open the run in the browser")
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m does")
    p.add_argument("program", nargs=argparse.REMAINDER, metavar="PROGRAM [ARGS]")


def run(args: argparse.Namespace) -> int:
    from app.trace.sinks import FileSink, ServerSink  # here: `mpscope --help` need not load the tracer
    from app.trace.tracer import Target

    if args.module:
        target = Target(None, args.module, list(args.program))
    elif args.program:
        target = Target(args.program[0], None, list(args.program[1:]))
    else:
        print(
            "mpscope trace: give a script (mpscope trace script.py) or a module (-m module)", file=sys.stderr
        )
        return 2
    if target.script and not os.path.exists(target.script):
        print(f"mpscope trace: {target.script}: no such file", file=sys.stderr)
        return 2
    embedded: subprocess.Popen[bytes] | None = None
    sink: Sink
    if args.out:
        sink = FileSink(args.out, time.monotonic_ns())
    else:
        server = args.server
        if not server:
            embedded, server = start_embedded()
        sink = ServerSink(server, args.token)
    try:
        try:
            code = _traced(target, sink, args.open, frozenset({embedded.pid}) if embedded else frozenset())
        except ConnectionError as exc:
            print(f"mpscope trace: {exc}", file=sys.stderr)
            return 2
        if embedded is not None:
            print(
                f"mpscope trace: the program has ended; its run stays at {sink.url} until you press Ctrl-C",
                file=sys.stderr,
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                embedded.wait()
        return code
    finally:
        if embedded is not None:
            embedded.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                embedded.wait(10)
            if embedded.poll() is None:
                embedded.kill()
                embedded.wait()


def _traced(target: Target, sink: Sink, open_browser: bool, keep: frozenset[int]) -> int:
    from app.trace.tracer import trace

    if open_browser:
        original_open = sink.open

        def open_then_show(start: dict[str, Any]) -> None:
            import webbrowser

            original_open(start)
            if sink.url:
                webbrowser.open(sink.url)
            elif getattr(sink, "path", None):
                print("mpscope trace: --open needs a server; with --out, import the file", file=sys.stderr)

        sink.open = open_then_show  # type: ignore[method-assign]
    return trace(target, sink, keep=keep)


def start_embedded() -> tuple[subprocess.Popen[bytes], str]:
    """An mpscope server of our own on a free loopback port, without history, for this trace."""
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--no-history"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # a Ctrl-C meant for the program must not stop the server first
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{server}/api/health", timeout=1):
            return proc, server
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"mpscope trace: the embedded server did not start on {server}")
