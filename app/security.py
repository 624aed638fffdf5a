"""Request guards for a server that starts processes: Host and Origin checks, security headers.

With a token set, every mutating request must carry it (Authorization: Bearer, or the cookie that
opening the presenter URL /?token=T sets): none -> 401, wrong -> 403. Viewing stays open. Host is
checked on every request (DNS rebinding: a foreign name that resolves to 127.0.0.1 must not
reach us). Origin is checked on every mutating request and every WebSocket handshake: browsers apply
no CORS to WebSockets, so without this any web page could drive a local mpscope.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")

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


def allowed_hosts(bind_host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    names = {*LOCAL_NAMES, bind_host, *extra}
    hosts = set()
    for name in names:
        shown = f"[{name}]" if ":" in name and not name.startswith("[") else name
        hosts.update({shown, f"{shown}:{port}"})
    return frozenset(hosts)


TOKEN_COOKIE = "mpscope_token"


def presented_token(headers: dict[str, str]) -> str | None:
    """The token a request carries: `Authorization: Bearer T`, or the cookie set by the presenter URL."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == TOKEN_COOKIE:
            return value
    return None


class GuardMiddleware:
    def __init__(self, app: ASGIApp, hosts: frozenset[str], token: str | None = None) -> None:
        self.app = app
        self.hosts = hosts
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if host not in self.hosts:
            await self._refuse(scope, send, 400, f"Host {host!r} is not allowed")
            return
        origin = headers.get("origin")
        mutating = scope["type"] == "websocket" or scope["method"] not in SAFE_METHODS
        if mutating and origin is not None and urlsplit(origin).netloc not in self.hosts:
            await self._refuse(scope, send, 403, f"Origin {origin!r} is not allowed")
            return
        if scope["type"] == "http" and self.token is not None:
            if scope["method"] == "GET" and scope["path"] == "/" and b"token=" in scope["query_string"]:
                await self._presenter_login(scope, send)
                return
            if scope["method"] not in SAFE_METHODS:
                given = presented_token(headers)
                if given is None:
                    await self._refuse(scope, send, 401, "this server needs a token to start or cancel runs")
                    return
                if not hmac.compare_digest(given.encode(), self.token.encode()):
                    await self._refuse(scope, send, 403, "wrong token")
                    return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _presenter_login(self, scope: Scope, send: Send) -> None:
        """Opening the presenter URL (/?token=T) stores the token in a cookie and drops it from the URL."""
        given = parse_qs(scope["query_string"].decode("latin-1")).get("token", [""])[0]
        if self.token is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            await self._refuse(scope, send, 403, "wrong token")
            return
        cookie = f"{TOKEN_COOKIE}={given}; Path=/; HttpOnly; SameSite=Strict".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/"), (b"set-cookie", cookie), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008, "reason": detail})
            return
        body = ('{"detail": "' + detail.replace('"', "'") + '"}').encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})
