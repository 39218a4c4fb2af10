"""Pure ASGI middlewares that keep a lecture hall's server safe: one check per class.

Outermost first (``install`` adds them in this order): security headers on every answer,
the Host check (DNS rebinding), the Origin check (cross-site control), the control rate
limit, the request body limit, the WebSocket connection limit.
"""

from __future__ import annotations

import ipaddress
import math
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_body, quote
from app.settings import Settings, is_loopback

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::"})
DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}
CLOSE_TOO_MANY = 4429  # a WebSocket refused by the per-address limit (4000 + HTTP 429)
# Routes that take bigger bodies than PROCVIZ_MAX_BODY: path prefix → bytes (the longest
# prefix wins; PROCVIZ_BODY_LIMITS entries override these).
ROUTE_BODY_LIMITS: dict[str, int] = {}

# Where SecurityHeaders leaves this response's style nonce for the page (see csp_nonce).
NONCE_KEY = "procviz.csp_nonce"


def csp(script_hashes: Iterable[str] = (), style_nonce: str | None = None) -> str:
    """Only the app's own files: no inline script but the hashed ones (the import map), no
    inline style but what carries this response's nonce (the editor's), no framing."""
    script = " ".join(("'self'", *script_hashes))
    style = "'self'" + (f" 'nonce-{style_nonce}'" if style_nonce else "")
    return (
        f"default-src 'self'; script-src {script}; style-src {style}; "
        "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


CSP = csp()
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # the presenter URL's token stays on the page
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def split_host(value: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6]:port`` → (lower-case name, port), None if malformed."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.netloc != value or "@" in value:
        return None
    return parts.hostname, port


def is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


async def refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    field: str,
    message: str,
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """Answer with the project's ``Error`` body; a WebSocket is refused before accept."""
    body = error_body(field, message)
    head = [(b"content-type", b"application/json"), *headers]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": body})
        return
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": head})
        await send({"type": "websocket.http.response.body", "body": body})
    else:  # the server answers a close before accept with a plain HTTP 403
        await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})


def csp_nonce(scope: Scope) -> str:
    """This response's style nonce (CodeMirror gives it to the styles it injects)."""
    return str(scope.get(NONCE_KEY, ""))


class SecurityHeaders:
    """CSP (a fresh style nonce per answer), nosniff, no-referrer and no framing on every HTTP
    answer."""

    def __init__(self, app: ASGIApp, script_hashes: Iterable[str] = ()) -> None:
        self.app = app
        self.script_hashes = tuple(script_hashes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = scope[NONCE_KEY] = secrets.token_urlsafe(18)
        policy = (b"content-security-policy", csp(self.script_hashes, nonce).encode())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in (policy, *SECURITY_HEADERS) if k not in present]
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """400 unless the Host header names this server (a DNS-rebinding page carries its own)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str], bind_host: str) -> None:
        self.app = app
        names = {(split_host(a) or (a, None))[0] for a in allowed if a != "*"}
        self.any = "*" in allowed
        self.names = {n for n in names if not n.startswith("*.")}
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))
        self.bind = bind_host.strip("[]").lower()

    def allows(self, name: str) -> bool:
        if self.any or is_loopback(name) or name in self.names or name.endswith(self.suffixes):
            return True
        if self.bind in WILDCARD_BINDS:
            # Listening everywhere: any address of the machine is ours. A rebinding page
            # always sends its own *name*, never an IP literal.
            return is_ip(name)
        return name == self.bind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        value = header(scope, b"host")
        parsed = split_host(value) if value else None
        if parsed is not None and self.allows(parsed[0]):
            await self.app(scope, receive, send)
            return
        message = (
            f"Host {quote(value)} is not a name of this server; "
            "an operator can allow it with PROCVIZ_ALLOWED_HOSTS"
            if value
            else "the request has no Host header"
        )
        await refuse(scope, receive, send, 400, "host", message)


def request_origin(scope: Scope) -> tuple[str, str, int] | None:
    """This request's own origin (scheme, host, port), from its scheme and Host header."""
    scheme = str(scope.get("scheme", "http"))
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    parsed = split_host(header(scope, b"host") or "")
    if parsed is None:
        return None
    return scheme, parsed[0], parsed[1] or DEFAULT_PORTS.get(scheme, 0)


def parse_origin(value: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def cross_site(scope: Scope) -> tuple[str, str] | None:
    """(field, reason) when a browser sent this request from another site's page."""
    if header(scope, b"sec-fetch-site") == "cross-site":
        return "sec-fetch-site", "a page of another site sent this request (Sec-Fetch-Site)"
    origin = header(scope, b"origin")
    if origin is None:
        return None  # not a browser: the token, where required, still is
    own = request_origin(scope)
    if own is None or parse_origin(origin) != own:
        return "origin", f"Origin {quote(origin)} is not this server's; only its own page may"
    return None


class OriginCheck:
    """403 for a state-changing request or a WebSocket handshake from another site's page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        checked = scope["type"] == "websocket" or (
            scope["type"] == "http" and scope["method"] in STATE_CHANGING
        )
        problem = cross_site(scope) if checked else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        await refuse(scope, receive, send, 403, *problem)


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """0 if a token was taken, else the seconds until one is there."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        return self.tokens + (now - self.stamp) * self.rate >= self.burst


class ControlRateLimit:
    """429 + Retry-After beyond ``rate`` control requests a second (``burst`` at once) per address."""

    MAX_TRACKED = 10_000  # addresses remembered; idle ones (full buckets) are forgotten first

    def __init__(self, app: ASGIApp, rate: float, burst: int) -> None:
        self.app = app
        self.rate = rate
        self.burst = burst
        self.buckets: dict[str, TokenBucket] = {}

    def wait(self, address: str, now: float) -> float:
        bucket = self.buckets.get(address)
        if bucket is None:
            if len(self.buckets) >= self.MAX_TRACKED:
                self._forget(now)
            bucket = self.buckets[address] = TokenBucket(self.rate, self.burst, self.burst, now)
        return bucket.take(now)

    def _forget(self, now: float) -> None:
        idle = [a for a, b in self.buckets.items() if b.full(now)]
        for address in idle or list(self.buckets)[: self.MAX_TRACKED // 2]:
            del self.buckets[address]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        wait = self.wait(client_address(scope), time.monotonic())
        if not wait:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        message = (
            f"more than {self.rate:g} control requests a second (burst {self.burst}) "
            f"from your address; retry in {retry} s"
        )
        headers = [(b"retry-after", str(retry).encode())]
        await refuse(scope, receive, send, 429, "rate", message, headers)


def content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    return int(value) if value is not None and value.strip().isdigit() else None


class BodyLimit:
    """413 for a body over its path's limit: Content-Length first, then counting chunks."""

    def __init__(self, app: ASGIApp, default: int, per_prefix: Iterable[tuple[str, int]]) -> None:
        self.app = app
        self.default = default
        # Longest prefix first: "/api/runs/x/signal" may be tighter than "/api/runs".
        self.per_prefix = sorted(per_prefix, key=lambda item: len(item[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.per_prefix:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        answered = False  # we sent the 413: whatever the app sends after is dropped
        started = False

        async def receive_counted() -> Message:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request" and not answered:
                received += len(message.get("body", b""))
                if received > limit and not started:
                    answered = True
                    await self._too_large(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def send_unless_answered(message: Message) -> None:
            nonlocal started
            if answered:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, receive_counted, send_unless_answered)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"the request body is over this path's limit of {limit} bytes"
        await refuse(scope, receive, send, 413, "body", message)


class WebSocketLimit:
    """At most ``per_client`` open WebSockets per address; the next is closed 4429 with a reason."""

    def __init__(self, app: ASGIApp, per_client: int) -> None:
        self.app = app
        self.per_client = per_client
        self.open: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        address = client_address(scope)
        if self.open[address] >= self.per_client:
            await self._refuse(receive, send)
            return
        self.open[address] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open[address] -= 1
            if not self.open[address]:
                del self.open[address]

    async def _refuse(self, receive: Receive, send: Send) -> None:
        # Accepted, then closed: a page's WebSocket sees the code and the reason (an HTTP
        # refusal shows it only 1006) and retries later, as it does after any close.
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        reason = f"too many connections from your address (limit {self.per_client})"
        await send({"type": "websocket.close", "code": CLOSE_TOO_MANY, "reason": reason})


def add_to(api: Starlette, settings: Settings, script_hashes: Iterable[str] = ()) -> None:
    """Install every check; ``add_middleware`` wraps, so the last added runs first."""
    api.add_middleware(WebSocketLimit, per_client=settings.max_ws_per_client)
    limits = {**ROUTE_BODY_LIMITS, **dict(settings.body_limits)}
    api.add_middleware(BodyLimit, default=settings.max_body, per_prefix=limits.items())
    api.add_middleware(ControlRateLimit, rate=settings.control_rate, burst=settings.control_burst)
    api.add_middleware(OriginCheck)
    api.add_middleware(HostCheck, allowed=settings.allowed_hosts, bind_host=settings.host)
    api.add_middleware(SecurityHeaders, script_hashes=script_hashes)
