"""Request body caps, enforced before any app reads a body (Reflex's `/_upload` included).

An upload endpoint may receive MAX_IMAGE_SIZE plus room for the multipart envelope; every
other request MAX_JSON_BODY_SIZE. A declared Content-Length over the cap is a 413 problem
before the app runs; a chunked body is counted by Starlette's body limiter and cut off with a
413 as soon as it passes the cap, so neither memory nor the multipart spool directory ever
holds more than the cap.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.middleware.body_limit import RequestBodyLimitResponder
from starlette.types import ASGIApp, Receive, Scope, Send

from dreampixel.api.problems import problem_response
from dreampixel.core.settings import settings

# Reflex's upload endpoint and the API's; both carry one image in a multipart form.
UPLOAD_PATHS = frozenset({"/_upload", "/api/v1/uploads"})
# Boundaries, part headers and Reflex's small event-args field.
MULTIPART_OVERHEAD = 64 * 1024


def body_limit(path: str) -> int:
    """The most bytes a request to `path` may carry."""
    if path.rstrip("/") in UPLOAD_PATHS:
        return settings.max_image_size + MULTIPART_OVERHEAD
    return settings.max_json_body_size


class BodyLimitMiddleware:
    """Starlette's RequestBodyLimitMiddleware with the cap chosen by path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            # Refused before the app runs at all: not one byte of the body is read.
            await _too_large(scope["path"], limit)(scope, receive, send)
            return
        await RequestBodyLimitResponder(self.app, limit)(scope, receive, send)


def _too_large(path: str, limit: int) -> JSONResponse:
    if path.rstrip("/") in UPLOAD_PATHS:
        code, detail = "image_too_large", f"Uploads can be at most {settings.max_image_size // (1024 * 1024)} MB."
    else:
        code, detail = "payload_too_large", f"Request bodies can be at most {limit} bytes."
    return problem_response(status=413, code=code, detail=detail, request_id=None,
                            headers={"Connection": "close"})
