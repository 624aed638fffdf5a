"""Request guards for a server that starts processes: Host and Origin checks, security headers.

Host is checked on every request (DNS rebinding: a foreign name that resolves to 127.0.0.1 must not
reach us). Origin is checked on every mutating request and every WebSocket handshake: browsers apply
no CORS to WebSockets, so without this any web page could drive a local mpscope.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

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


class GuardMiddleware:
    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

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
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)

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
