"""What the engine asks of the code around it, as Protocols: a lower layer owns the interface and an
upper layer implements it (the web layer's Hub is a Publisher; a scenario launch is a Control)."""

from __future__ import annotations

from typing import Protocol

from app.engine.run import RunStatus


class Publisher(Protocol):
    """Where a run's events and its lobby entry go once the book has taken them."""

    def open_topic(self, run_id: str) -> object: ...

    def publish(self, run_id: str, encoded: list[bytes]) -> None: ...

    def close_topic(self, run_id: str) -> None: ...

    def publish_run(self, run_id: str, encoded_run: bytes) -> None: ...


class Control(Protocol):
    """A live run's feeder, as the book sees it: how to stop or pause what produces its events."""

    def stop(self, status: RunStatus, reason: str | None) -> None:
        """Ask the feeder to end the run; it later calls `RunBook.end` with the outcome."""

    def pause(self, paused: bool) -> None:
        """Hold (or release) every process of the run at its next reported step."""

    def dropped(self) -> int:
        """Events the feeder could not deliver so far (shown live, and in run.end)."""


class NullPublisher:
    """A Publisher for a book with no audience: `mpscope import --data-dir`, and tests."""

    def open_topic(self, run_id: str) -> object:
        return None

    def publish(self, run_id: str, encoded: list[bytes]) -> None:
        pass

    def close_topic(self, run_id: str) -> None:
        pass

    def publish_run(self, run_id: str, encoded_run: bytes) -> None:
        pass
