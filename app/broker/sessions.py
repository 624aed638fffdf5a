"""An edge's copy of the origin's presentations: each is a Session whose audience frame is the one the
origin published, so the presenter module's followers, ticks and slow-follower rule work unchanged.
An edge has no presenter stream and takes no answers (it is read-only: docs/scale.md)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from app import jsonio
from app.frames import Frame
from app.presenter.sessions import Presenters, Session


@dataclass
class MirroredSession(Session):
    latest: str = ""  # the origin's audience frame
    shown: Frame | None = None  # the same, as one Frame for every follower (compressed once)

    def frame(self, presenter: bool) -> Frame:
        if self.shown is None:
            self.shown = Frame(self.latest.encode())
        return self.shown

    def state(self) -> dict[str, Any]:
        """What GET /api/follow/{code} answers: the frame, minus the follower count."""
        frame: dict[str, Any] = jsonio.loads(self.latest) if self.latest else {}
        return {"code": self.code, "view": frame.get("view"), "poll": frame.get("poll")}


class MirroredSessions:
    def __init__(self, presenters: Presenters) -> None:
        self.presenters = presenters

    def apply(self, code: str, frame: str | None) -> None:
        """The origin's new frame for `code` (None: the presentation ended)."""
        if frame is None:
            self.presenters.end(code)
            return
        session = self.presenters.sessions.get(code)
        if not isinstance(session, MirroredSession):
            # No key works here: an edge refuses the presenter's routes anyway (app/web/edge.py).
            session = MirroredSession(code, secrets.token_urlsafe(24))
            self.presenters.sessions[code] = session
        if session.latest != frame:
            session.latest, session.shown = frame, None
            self.presenters.changed(session)
