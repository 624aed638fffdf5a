"""Loaded at start-up by every Python process of a traced program (boot/ is on PYTHONPATH).

It instruments multiprocessing when MPSCOPE_TRACE is set, then hands over to the sitecustomize this
one shadows, if there is one, so the program's environment stays what it was.
"""

import os
import sys
import time

_STARTED_NS = time.monotonic_ns()


def _chain() -> None:
    """Run the next sitecustomize on sys.path (e.g. Debian's), as if ours were not there."""
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        if not entry or os.path.abspath(entry) == here:
            continue
        candidate = os.path.join(entry, "sitecustomize.py")
        if os.path.isfile(candidate):
            import importlib.util  # only then: it costs every traced interpreter a few ms

            spec = importlib.util.spec_from_file_location("_mpscope_next_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            return


if os.environ.get("MPSCOPE_TRACE"):
    try:
        import _mpscope_trace

        _mpscope_trace.install(os.environ["MPSCOPE_TRACE"], _STARTED_NS)
    except Exception as exc:  # never break the program: say so on stderr once, and run it untraced
        print(f"mpscope trace: instrumentation failed in pid {os.getpid()}: {exc!r}", file=sys.stderr)
try:
    _chain()
except Exception as exc:
    print(f"mpscope trace: the program's own sitecustomize failed: {exc!r}", file=sys.stderr)
