"""The scenario plugin interface, and the RunContext a scenario's `run()` is handed in its main process.

A scenario is one lesson: a typed parameter model, presets, an explanation, and the code that runs it.
`Scenario` is generic over its parameter model, so each `run()` gets its own typed params. RunContext
lives here, beside the interface it serves, so the lesson runtime and the plugins import one module.
"""

from __future__ import annotations

import inspect
import multiprocessing.connection
import os
import random
import sys
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from app.lesson.reporter import Reporter
from app.lesson.signals import install_child_handlers
from app.lesson.watch import ChildWatch, WorkerFailed, describe_exit


class Params(BaseModel):
    """Base of every scenario's parameter model: bounded fields, unknown fields refused."""

    model_config = ConfigDict(extra="forbid")


P = TypeVar("P", bound=Params)


class Scenario(ABC, Generic[P]):
    id: ClassVar[str]
    title: ClassVar[str]
    title_zh: ClassVar[str] = ""  # the title in Traditional Chinese (none: the English one is shown)
    concepts: ClassVar[tuple[str, ...]]
    explanation: ClassVar[dict[str, str]]  # {"en": ..., "zh": ...}
    Params: type[P]  # set by each subclass to its own model (a ClassVar cannot be generic)
    presets: ClassVar[dict[str, dict[str, Any]]] = {}

    def processes(self, params: P) -> int:
        """How many processes a run with these params creates, its main process included."""
        return 1

    @abstractmethod
    def run(self, ctx: RunContext, params: P) -> dict[str, Any]:
        """Runs in the run's main process; returns the result (a JSON object)."""

    def source(self) -> str:
        return inspect.getsource(sys.modules[type(self).__module__])

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "titles": {"en": self.title, "zh": self.title_zh or self.title},
            "concepts": list(self.concepts),
            "explanation": dict(self.explanation),
            "params": self.Params.model_json_schema(),
            "defaults": self.Params().model_dump(),
            "presets": self.presets,
        }


class RunContext:
    """Handed to `Scenario.run`: the multiprocessing context, the Reporter and instrumented helpers."""

    def __init__(
        self,
        mp: BaseContext,
        rep: Reporter,
        start_method: str,
        watch: ChildWatch | None = None,
        seed: int | None = None,
    ) -> None:
        self.mp = mp
        self.rep = rep
        self.start_method = start_method
        self.watch = watch or ChildWatch(mp)
        self.seed = seed  # the run's seed: child i seeds `random` with (seed, i), so a run can be repeated

    def Process(  # noqa: N802 - mirrors multiprocessing.Process
        self, target: Callable[..., Any], args: Sequence[Any] = (), name: str | None = None
    ) -> BaseProcess:
        """A child process whose start and exit are reported; `target(rep, *args)` is called in it.
        If it dies, the run fails at once, whatever the main process waits on (app/lesson/watch.py)."""
        index = len(self.watch.children)
        child_args = (self.rep, target, tuple(args), self.watch.flags, index, self.seed)
        # Every concrete context has Process; the stub's BaseContext (what get_context(str) returns) lacks it.
        process: BaseProcess = self.mp.Process(target=child_main, args=child_args, name=name)  # type: ignore[attr-defined]
        self.watch.add(process)
        return process

    def start_all(self, procs: Iterable[BaseProcess]) -> None:
        for p in procs:
            p.start()

    def join_all(self, procs: Sequence[BaseProcess], timeout: float | None = None) -> list[int]:
        """Join every process, reporting each exit as it happens.

        Fails fast: as soon as one process ends badly, raises WorkerFailed naming it and its signal,
        instead of waiting forever for siblings that may be stuck on a lock it held.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = {p.sentinel: p for p in procs}
        while pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(list(pending), left)
            if not ready:
                raise TimeoutError(f"{len(pending)} process(es) still running after {timeout} s")
            for sentinel in ready:
                p = pending.pop(sentinel)  # type: ignore[arg-type]
                p.join()
                self.report_exit(p)
                if p.exitcode != 0:
                    raise WorkerFailed(describe_exit(p.name, p.pid, p.exitcode), p)
        return [int(p.exitcode or 0) for p in procs]

    def report_exit(self, p: BaseProcess) -> None:
        self.rep.emit_for(p.pid or 0, p.name, "process.exit", exitcode=p.exitcode)

    def sleep_ms(self, ms: float) -> None:
        if ms > 0:
            time.sleep(ms / 1000)


def child_main(
    rep: Reporter,
    target: Callable[..., Any],
    args: tuple[Any, ...],
    flags: Any = None,
    index: int = 0,
    seed: int | None = None,
) -> None:
    """Entry point of every process a scenario starts through `RunContext.Process`."""
    install_child_handlers()
    if seed is not None:
        random.seed(f"{seed}:{index}")  # its own stream, the same on every run with this seed
    rep.reset_stats()
    rep.emit("process.start", ppid=os.getppid())
    try:
        target(rep, *args)
        rep.emit_stats()
        if flags is not None:
            flags[index] = 1  # finished: its exit is no death the watch must report
    except Exception as exc:
        rep.emit_final(
            "process.error", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
        )
        raise
