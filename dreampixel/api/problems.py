"""Every API error as `application/problem+json` (RFC 9457), with a stable `code`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dreampixel.core.errors import DreamPixelError

PROBLEM_JSON = "application/problem+json"
# A URN rather than a made-up URL: stable, unique, and not pretending to be a web page.
PROBLEM_TYPE_BASE = "urn:dreampixel:problem:"

# Codes for errors raised by the framework itself (routing, auth helpers).
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "service_unavailable",
}


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    request_id: str | None,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or _status_phrase(status),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def internal_error_response(request_id: str | None) -> JSONResponse:
    return problem_response(
        status=500,
        code="internal_error",
        detail="Something went wrong on our side. Quote the request id if you contact support.",
        request_id=request_id,
    )


def install_problem_handlers(api: FastAPI) -> None:
    """Register the handlers; unexpected exceptions are caught by RequestContextMiddleware."""
    api.add_exception_handler(DreamPixelError, _dreampixel_error)  # type: ignore[arg-type]
    api.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    api.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]


async def _dreampixel_error(request: Request, exc: DreamPixelError) -> JSONResponse:
    return problem_response(
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.message,
        request_id=_request_id(request),
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem_response(
            status=400,
            code="malformed_json",
            title="Malformed JSON",
            detail="The request body is not valid JSON.",
            request_id=_request_id(request),
        )
    return problem_response(
        status=422,
        code="validation_failed",
        title="Validation failed",
        detail="The request has invalid or missing fields.",
        request_id=_request_id(request),
        errors=[{"field": _field_name(err.get("loc", ())), "message": str(err.get("msg", ""))} for err in raw],
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    if status == 404 and exc.detail == "Not Found":
        detail = f"No API resource at {request.url.path}."
    else:
        detail = str(exc.detail)
    return problem_response(
        status=status,
        code=_HTTP_CODES.get(status, "http_error"),
        detail=detail,
        request_id=_request_id(request),
        headers=dict(exc.headers or {}),
    )


async def _database_error(request: Request, exc: DBAPIError) -> JSONResponse:
    """A connection the database dropped (a restart, a failover) is a 503 worth retrying.

    SQLAlchemy has already replaced the pool by then, so the next request gets a new
    connection. Any other database error is a bug and goes on to the 500 handler.
    """
    if not exc.connection_invalidated:
        raise exc
    return problem_response(
        status=503,
        code="database_unavailable",
        title="Database unavailable",
        detail="The database connection was lost. Try again in a moment.",
        request_id=_request_id(request),
        headers={"Retry-After": "1"},
    )


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "prompt") -> "prompt"; ("query", "limit") -> "limit"; ("body",) -> "body"
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
