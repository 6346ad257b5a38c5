"""Request context for the REST API: a request id on every log line, header and problem."""

from __future__ import annotations

import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dreampixel.api.problems import internal_error_response
from dreampixel.core.logging import bind_request_id, get_logger

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

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
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
