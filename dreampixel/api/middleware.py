"""ASGI middleware: the request context of the REST API (a request id on every log line,
header and problem), and, for the whole app, the client's address behind proxies, security
headers and the lifetime of hashed assets."""

from __future__ import annotations

import re
import time
import uuid
from ipaddress import ip_address

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dreampixel.api.problems import internal_error_response, problem_response
from dreampixel.core.logging import bind_request_id, get_logger
from dreampixel.core.settings import TrustedProxies, settings

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

log = get_logger("dreampixel.api")


def request_id_from(raw: str | None) -> str:
    """The caller's request id when it is safe to echo and log, else a new one."""
    if raw and _SANE_REQUEST_ID.fullmatch(raw):
        return raw
    return f"req_{uuid.uuid4().hex}"


class RequestContextMiddleware:
    """Binds the request id, logs `http.request` once, and turns a crash into a 500 problem.

    A pure ASGI middleware (not BaseHTTPMiddleware) so the structlog context variables set
    here are the ones the endpoint and its dependencies see.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        bind_request_id(request_id)

        started = time.perf_counter()
        status = 500
        response_started = False
        # No id, cursor or search term contains a NUL character, and PostgreSQL cannot compare
        # text with one: refuse it here once instead of in every route.
        nul = "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            if nul:
                await problem_response(status=400, code="bad_request", request_id=request_id,
                                       detail="The address contains a NUL character.")(scope, receive, send_with_request_id)
            else:
                await self.app(scope, receive, send_with_request_id)
        except Exception:
            # Unhandled here means a bug: log it with its traceback, tell the caller nothing
            # about the internals. Not re-raised, so the server does not log it twice.
            log.exception("http.unhandled_exception", method=scope["method"], path=scope["path"])
            if not response_started:
                await internal_error_response(request_id)(scope, receive, send_with_request_id)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )


# The production build's scripts and styles: their names carry a hash of their content.
HASHED_ASSETS_PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"


class ImmutableAssetsMiddleware:
    """Lets browsers keep the built frontend's hashed assets for a year without asking again.

    Reflex serves them with an ETag but no Cache-Control, so every page load revalidated
    each one. A new build has new names, so a long lifetime never serves stale code.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(HASHED_ASSETS_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_lifetime(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                MutableHeaders(scope=message)["Cache-Control"] = IMMUTABLE
            await send(message)

        await self.app(scope, receive, send_with_lifetime)


def client_address(peer: str | None, forwarded_for: list[str], trusted: TrustedProxies) -> str | None:
    """The client's address: the peer, unless it is a trusted proxy that says who it forwards for.

    `trusted` is a hop count (the address that many entries from the right of
    X-Forwarded-For) or the proxies' networks (the rightmost address outside them). Entries
    further left were written by the client itself and are never believed.
    """
    if not trusted or peer is None:
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    if isinstance(trusted, int):
        if not hops:
            return peer
        return hops[-trusted] if len(hops) >= trusted else hops[0]
    chain = [*hops, peer]
    for candidate in reversed(chain):
        if not _within(candidate, trusted):
            return candidate
    return chain[0]


def _within(address: str, networks: tuple[object, ...]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)  # type: ignore[operator]


class ClientAddressMiddleware:
    """Puts the real client's address (TRUSTED_PROXIES) in `scope["client"]` for Reflex and the API.

    Everything downstream (the event websocket's `client_ip`, sessions, audit rows, the
    sign-in throttle) reads the client from the scope, so this is the one place deciding it.
    The scheme follows X-Forwarded-Proto only when the peer is trusted.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        trusted = settings.proxies
        if scope["type"] not in ("http", "websocket") or not trusted:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        peer_host, peer_port = scope.get("client") or (None, 0)
        host = client_address(peer_host, headers.getlist("x-forwarded-for"), trusted)
        scope = {**scope, "client": (host, peer_port) if host else scope.get("client")}
        proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
        peer_trusted = isinstance(trusted, int) or (peer_host is not None and _within(peer_host, trusted))
        if peer_trusted and proto in ("http", "https"):
            secure = proto == "https"
            scope["scheme"] = ("wss" if secure else "ws") if scope["type"] == "websocket" else proto
        await self.app(scope, receive, send)


API_PREFIX = "/api"
HSTS = "max-age=31536000"


def _origin(url: str) -> str | None:
    scheme, sep, rest = url.strip().partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}" if sep and scheme in ("http", "https") and host else None


def page_policy() -> str:
    """The pages' Content-Security-Policy, from what the built Reflex frontend does.

    Reflex inlines its bootstrap scripts and runs `rx.call_script`, `rx.toast` and
    `rx.set_clipboard` sent by the server through `eval`, hence 'unsafe-inline' and
    'unsafe-eval' for scripts; Radix injects style attributes. Images may come from the
    storage's signed URLs and the CDN; the websocket is ours.
    """
    images = ["'self'", "data:", "blob:"]
    for url in (settings.cdn_base_url, settings.s3_endpoint_url):
        if url and (origin := _origin(url)):
            images.append(origin)
    if settings.s3_enabled and not settings.s3_endpoint_url:
        images.append("https://*.amazonaws.com")
    sockets = [origin.replace("http", "ws", 1) for origin in settings.allowed_origins]
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {' '.join(images)}",
        "font-src 'self' data:",
        f"connect-src 'self' {' '.join(sockets)}",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class SecurityHeadersMiddleware:
    """Security headers on every HTTP response: the pages' CSP on HTML, framing refused everywhere.

    `Referrer-Policy: no-referrer` keeps the tokens of /reset and /verify links out of any
    Referer; HSTS is sent when the app is reached over HTTPS (directly, through a trusted
    proxy, or as PUBLIC_URL says).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.page_csp = page_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"] == API_PREFIX or scope["path"].startswith(API_PREFIX + "/")
        https = scope.get("scheme") == "https" or settings.base_url.startswith("https://")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Frame-Options"] = "DENY"
                if "content-security-policy" not in headers:
                    html = headers.get("content-type", "").startswith("text/html")
                    # The API's own pages (/api/docs) load Swagger UI from a CDN: only framing is refused there.
                    headers["Content-Security-Policy"] = (self.page_csp if html and not is_api
                                                          else "frame-ancestors 'none'")
                if https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
