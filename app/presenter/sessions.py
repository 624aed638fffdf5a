"""Presenter sessions: what the presenter shows, followed live by an audience that joined with a code.

A session has a short join code, the presenter's latest view (page, replay cursor, timeline window)
and at most one "predict the result" poll. Audience clients follow a session over a WebSocket: every
change becomes one frame per tick, built once for the audience (a poll's tally stays hidden until the
poll is closed, so nobody copies the crowd) and once for the presenter (the live tally). A view is a
snapshot, not a log: a follower's outbox keeps only the newest frame, so a slow one never piles up
and never slows the others. Everything here runs on the event loop thread.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app import jsonio
from app.frames import Encoding, Frame
from app.outbox import Subscriber

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a projector, typed on a phone
CODE_LENGTH = 6
PATH_PATTERN = (  # the dashboard's pages, the Edit and run page among them (its program, read-only)
    r"^/(scenarios/[A-Za-z0-9_.-]{1,64}|runs/[A-Za-z0-9_-]{1,64}"
    r"|code/new|code/scenarios/[A-Za-z0-9_.-]{1,64}|code/runs/[A-Za-z0-9_-]{1,64}"
    r"|compare\?a=[A-Za-z0-9_-]{1,64}&b=[A-Za-z0-9_-]{1,64})?$"
)
BIG = 1e15  # bound of every number a client sends: times in ns (11 days), answers


@dataclass(frozen=True)
class PresenterLimits:
    max_sessions: int = 32  # creating one more ends the one idle longest
    max_answers: int = 1000  # distinct clients answering one poll
    answer_burst: int = 20  # answers one address may send at once ...
    answers_per_second: float = 5.0  # ... and then per second


class UnknownSession(LookupError):
    pass


class WrongKey(PermissionError):
    pass


class PollRefused(RuntimeError):
    """The answer does not fit the poll: none open, a stale poll, or a choice out of range (409)."""


class TooMany(RuntimeError):
    """Over a limit of the presenter module (429)."""


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Literal["off", "paused", "playing"]
    index: int = Field(0, ge=0, le=10**9, description="events shown")
    t: float = Field(0, ge=-BIG, le=BIG, description="cursor time, ns")
    speed: float = Field(1, ge=0.1, le=10)


class Window(BaseModel):
    """The timeline's visible time span (ns); each screen scales it to its own width."""

    model_config = ConfigDict(extra="forbid")

    t0: float = Field(ge=-BIG, le=BIG)
    t1: float = Field(ge=-BIG, le=BIG)

    @model_validator(mode="after")
    def ordered(self) -> Window:
        if not self.t1 > self.t0:
            raise ValueError("t1 must be greater than t0")
        return self


class View(BaseModel):
    """What the presenter shows: the page (a run, a scenario, or two runs compared), the replay cursor
    and the timeline window (None: fit all)."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(max_length=200, pattern=PATH_PATTERN)
    replay: Replay | None = None
    window: Window | None = None


class PollRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=200)
    kind: Literal["number", "choice"] = "number"
    choices: list[str] = Field(default_factory=list, max_length=8, description="for kind=choice: 2 to 8")

    @model_validator(mode="after")
    def choices_fit(self) -> PollRequest:
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError("a choice poll needs 2 to 8 choices")
        if self.kind == "number" and self.choices:
            raise ValueError("a number poll takes no choices")
        if any(not 1 <= len(c) <= 60 for c in self.choices):
            raise ValueError("each choice must be 1 to 60 characters")
        return self


@dataclass
class Poll:
    id: int
    question: str
    kind: str
    choices: list[str]
    open: bool = True
    answer: float | None = None  # the right answer, once the presenter shows it
    answers: dict[str, float] = field(default_factory=dict)  # client id -> its latest answer

    def tally(self) -> list[list[float]]:
        """[[value, count], ...] by value; for a choice poll, value is the choice's index."""
        counts = Counter(self.answers.values())
        if self.kind == "choice":
            return [[i, counts.get(i, 0)] for i in range(len(self.choices))]
        return [[v, n] for v, n in sorted(counts.items())]

    def to_dict(self, with_tally: bool) -> dict[str, Any]:
        shown = with_tally or not self.open
        return {
            "id": self.id,
            "question": self.question,
            "kind": self.kind,
            "choices": self.choices,
            "open": self.open,
            "answer": self.answer,
            "count": len(self.answers),
            "tally": self.tally() if shown else None,
        }


class Follower(Subscriber):
    """A follower's outbox keeps the newest frame only (and the end of the stream)."""

    def offer(self, frame: Frame | None) -> None:
        if frame is not None:
            self.frames.clear()
        self.frames.append(frame)
        self._wake.set()


@dataclass
class Session:
    code: str
    key: str
    view: View | None = None
    poll: Poll | None = None
    polls: int = 0
    active: float = field(default_factory=time.monotonic)
    followers: set[Follower] = field(default_factory=set)
    presenters: set[Follower] = field(default_factory=set)

    def frame(self, presenter: bool) -> Frame:
        body = {
            "code": self.code,
            "view": self.view.model_dump() if self.view else None,
            "poll": self.poll.to_dict(presenter) if self.poll else None,
            "followers": len(self.followers),
        }
        return Frame(jsonio.dumps(body))


class Presenters:
    """Every presenter session of the server, by join code."""

    def __init__(self, tick_seconds: float = 0.05, limits: PresenterLimits | None = None) -> None:
        self.tick_seconds = tick_seconds  # 0: send at once (tests without an event loop)
        self.limits = limits or PresenterLimits()
        self.sessions: dict[str, Session] = {}
        self._dirty: set[str] = set()
        self._ticker: asyncio.TimerHandle | None = None
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when)
        # Told every audience frame, once per tick (None: the session ended): the broker (app/broker/)
        # passes them on to edge servers, whose followers see what this server's see.
        self.on_frame: Callable[[str, str | None], None] | None = None

    @property
    def client_count(self) -> int:
        return sum(len(s.followers) + len(s.presenters) for s in self.sessions.values())

    def create(self) -> Session:
        if len(self.sessions) >= self.limits.max_sessions:
            idle = min(self.sessions.values(), key=lambda s: (bool(s.presenters), s.active))
            self.end(idle.code)
        code = new_code()
        while code in self.sessions:
            code = new_code()
        session = Session(code, secrets.token_urlsafe(18))
        self.sessions[code] = session
        if self.on_frame is not None:
            self.on_frame(code, session.frame(False).text)
        return session

    def get(self, code: str) -> Session:
        session = self.sessions.get(code.upper())
        if session is None:
            raise UnknownSession(f"no presentation with the code {code!r}")
        return session

    def owned(self, code: str, key: str | None) -> Session:
        """The session, if `key` is its presenter's key."""
        session = self.get(code)
        if key is None or not hmac.compare_digest(key.encode(), session.key.encode()):
            raise WrongKey("wrong or missing presenter key for this presentation")
        session.active = time.monotonic()
        return session

    def end(self, code: str) -> None:
        session = self.sessions.pop(code, None)
        if session is not None:
            self._dirty.discard(code)
            for sub in session.followers | session.presenters:
                sub.offer(None)
            if self.on_frame is not None:
                self.on_frame(code, None)

    def show(self, session: Session, view: View) -> None:
        session.view = view
        self.changed(session)

    def open_poll(self, session: Session, request: PollRequest) -> Poll:
        session.polls += 1
        session.poll = Poll(session.polls, request.question, request.kind, request.choices)
        self.changed(session)
        return session.poll

    def close_poll(self, session: Session, answer: float | None) -> Poll:
        """Close the poll (no more answers); `answer`, when given, is shown beside the tally."""
        if session.poll is None:
            raise PollRefused("there is no poll to close")
        session.poll.open = False
        if answer is not None:
            session.poll.answer = tidy(answer)
        self.changed(session)
        return session.poll

    def answer(self, session: Session, poll_id: int, client: str, value: float, address: str) -> Poll:
        """Count one client's answer (a later one replaces it) to the open poll `poll_id`."""
        poll = session.poll
        if poll is None or poll.id != poll_id:
            raise PollRefused(f"poll {poll_id} is not the presenter's current question")
        if not poll.open:
            raise PollRefused("the poll is closed")
        if poll.kind == "choice" and (value != int(value) or not 0 <= value < len(poll.choices)):
            raise PollRefused(f"answer must be a choice index from 0 to {len(poll.choices) - 1}")
        if client not in poll.answers and len(poll.answers) >= self.limits.max_answers:
            raise TooMany(f"this poll has reached its limit of {self.limits.max_answers} answers")
        if not self._take_token(address):
            raise TooMany("too many answers from this address; wait a second")
        poll.answers[client] = tidy(value)
        self.changed(session)
        return poll

    def _take_token(self, address: str) -> bool:
        """A token bucket per client address: `answer_burst` at once, then `answers_per_second`."""
        now, lim = time.monotonic(), self.limits
        if len(self._buckets) > 10_000:
            self._buckets.clear()  # forget everyone rather than grow: at worst a fresh burst each
        tokens, when = self._buckets.get(address, (float(lim.answer_burst), now))
        tokens = min(float(lim.answer_burst), tokens + (now - when) * lim.answers_per_second)
        if tokens < 1:
            return False
        self._buckets[address] = (tokens - 1, now)
        return True

    def follow(
        self, session: Session, presenter: bool, limit_bytes: int, encoding: Encoding = "deflate"
    ) -> Follower:
        sub = Follower(limit_bytes, encoding)
        (session.presenters if presenter else session.followers).add(sub)
        sub.offer(session.frame(presenter))
        self.changed(session)  # the follower count changed
        return sub

    def unfollow(self, session: Session, sub: Follower) -> None:
        session.followers.discard(sub)
        session.presenters.discard(sub)
        if session.code in self.sessions:
            self.changed(session)

    def changed(self, session: Session) -> None:
        self._dirty.add(session.code)
        if self.tick_seconds <= 0:
            self.flush()
        elif self._ticker is None:
            self._ticker = asyncio.get_running_loop().call_later(self.tick_seconds, self.flush)

    def flush(self) -> None:
        self._ticker = None
        dirty, self._dirty = self._dirty, set()
        for code in dirty:
            session = self.sessions.get(code)
            if session is None:
                continue
            for presenter, subs in ((False, session.followers), (True, session.presenters)):
                if subs or (self.on_frame is not None and not presenter):
                    frame = session.frame(presenter)
                    for sub in subs:
                        sub.offer(frame)
                    if self.on_frame is not None and not presenter:
                        self.on_frame(code, frame.text)

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for code in list(self.sessions):
            self.end(code)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def tidy(value: float) -> float:
    """42.0 -> 42, so that the tally shows whole numbers as such."""
    return int(value) if float(value).is_integer() else value
