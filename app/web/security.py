"""Request guards for a server that starts processes: Host, Origin, tokens, body size, headers.

- Host is checked on every request and WebSocket (DNS rebinding: a foreign name that resolves to
  127.0.0.1 must not reach us): others -> 400.
- Origin is checked on every mutating request and every WebSocket handshake, before the app sees it
  (browsers apply no CORS to WebSockets, so any web page could otherwise drive a local mpscope): -> 403.
- With a presenter token, every mutating request must carry it (`Authorization: Bearer T`, or the
  cookie that opening the presenter URL `/?token=T` sets): none -> 401, wrong -> 403. Viewing stays
  open unless a viewer token is set; then pages, GET APIs and WebSockets need either token
  (`/?view=V` sets the viewer cookie). Static assets and /api/health stay open.
- A few writes are the audience's (`audience_writes`, e.g. answering a poll): they need the viewer
  token when one is set, never the presenter's, and their bodies are capped at 1 KiB.
- Request bodies are capped, with a larger cap for the path that takes a run's file (-> 413), and every
  HTTP answer carries the security headers.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from urllib.parse import parse_qs, quote, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")
PRESENTER_COOKIE, VIEWER_COOKIE = "mpscope_token", "mpscope_view"
ALWAYS_OPEN = ("/static/", "/api/health")
LOGIN_PAGES = re.compile(r"/|/join/[^/]{1,32}")  # pages whose ?token= / ?view= sets the cookie
AUDIENCE_BODY_BYTES = 1024

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


WILDCARDS = ("0.0.0.0", "::", "")


def interface_addresses() -> set[str]:
    """This machine's own IP addresses. Accepting them as Host is safe against DNS rebinding, which
    works through a foreign *name*; without them an audience reaching a 0.0.0.0 bind by the
    presenter's LAN address would get 400."""
    import socket

    import psutil

    return {
        a.address.split("%")[0]
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family in (socket.AF_INET, socket.AF_INET6)
    }


def allowed_hosts(bind_host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host header values accepted: loopback names, the bound address, `extra` names (--allow-host)
    and, for a wildcard bind, every address of this machine; each with or without the port."""
    names = {*LOCAL_NAMES, bind_host, *extra}
    if bind_host in WILDCARDS:
        names |= interface_addresses()
    hosts = set()
    for name in names:
        shown = f"[{name}]" if ":" in name and not name.startswith("[") else name
        hosts.update({shown, f"{shown}:{port}"})
    return frozenset(hosts)


def same(given: str | None, expected: str | None) -> bool:
    return (
        given is not None and expected is not None and hmac.compare_digest(given.encode(), expected.encode())
    )


def cookie(headers: dict[str, str], name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def bearer(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None


class GuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        hosts: frozenset[str],
        token: str | None = None,
        viewer_token: str | None = None,
        max_body_bytes: int = 64 * 1024,
        body_limits: dict[str, int] | None = None,
        audience_writes: re.Pattern[str] | None = None,
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.token = token
        self.viewer_token = viewer_token
        self.max_body_bytes = max_body_bytes
        self.body_limits = body_limits or {}  # path (glob) -> its own cap, for routes taking files
        self.audience_writes = audience_writes  # paths (fullmatch) of the writes an audience may make

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        websocket = scope["type"] == "websocket"
        mutating = not websocket and scope["method"] not in SAFE_METHODS
        audience = bool(mutating and self.audience_writes and self.audience_writes.fullmatch(scope["path"]))
        host, origin = headers.get("host", ""), headers.get("origin")
        if host not in self.hosts:
            await refuse(scope, send, 400, f"Host {host!r} is not allowed")
            return
        if (websocket or mutating) and origin is not None and urlsplit(origin).netloc not in self.hosts:
            await refuse(scope, send, 403, f"Origin {origin!r} is not allowed")
            return
        if not websocket and scope["method"] == "GET" and scope["query_string"]:
            query = parse_qs(scope["query_string"].decode("latin-1"))
            if ("token" in query or "view" in query) and LOGIN_PAGES.fullmatch(scope["path"]):
                await self._login(scope, send, query)
                return
        problem = self._access(scope, headers, mutating and not audience)
        if problem is not None:
            await refuse(scope, send, *problem)
            return
        if websocket:
            await self.app(scope, receive, send)
            return
        if mutating:
            path = scope["path"]
            limit = next(
                (n for p, n in self.body_limits.items() if fnmatchcase(path, p)), self.max_body_bytes
            )
            limit = AUDIENCE_BODY_BYTES if audience else limit
            body = await read_body(receive, limit)
            if body is None:
                await refuse(scope, send, 413, f"request body over the limit of {limit:,} bytes")
                return
            receive = replay(body)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _access(self, scope: Scope, headers: dict[str, str], mutating: bool) -> tuple[int, str] | None:
        """None when the request may go on, else (status, why). An audience write counts as viewing."""
        presenter = bearer(headers) or cookie(headers, PRESENTER_COOKIE)
        if mutating and self.token is not None:
            if presenter is None:
                return 401, "this server needs a token to start or cancel runs"
            if not same(presenter, self.token):
                return 403, "wrong token"
        if not mutating and self.viewer_token is not None and not scope["path"].startswith(ALWAYS_OPEN):
            viewer = cookie(headers, VIEWER_COOKIE) or bearer(headers)
            if not (same(viewer, self.viewer_token) or same(presenter, self.token)):
                return 401, "this server needs a viewer token: open the link the presenter shares"
        return None

    async def _login(self, scope: Scope, send: Send, query: dict[str, list[str]]) -> None:
        """The presenter URL (/?token=T) and the audience URL (/?view=V, or /join/CODE?view=V) store their
        token in a cookie, then send the browser to the same page without it."""
        given_token, given_view = query.get("token", [None])[0], query.get("view", [None])[0]
        if same(given_token, self.token):
            name, value = PRESENTER_COOKIE, given_token
        elif same(given_view, self.viewer_token):
            name, value = VIEWER_COOKIE, given_view
        else:
            await refuse(scope, send, 403, "wrong token")
            return
        set_cookie = f"{name}={value}; Path=/; HttpOnly; SameSite=Strict".encode()
        location = quote(scope["path"]).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", location), (b"set-cookie", set_cookie), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes."""
    chunks: list[bytes]
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
    if scope["type"] == "websocket":
        # Closing before accepting makes the server answer the handshake with 403.
        await send({"type": "websocket.close", "code": 1008, "reason": detail})
        return
    body = ('{"detail": "' + detail.replace('"', "'") + '"}').encode()
    headers = [(b"content-type", b"application/json"), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
