"""The base error every service raises; each carries its HTTP status and a stable code."""

from __future__ import annotations

from typing import Any


class DreamPixelError(Exception):
    """A failure a caller can act on: a message for people, a code for programs."""

    status_code: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


class NotFound(DreamPixelError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class Unauthorized(DreamPixelError):
    status_code = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(DreamPixelError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(DreamPixelError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class ValidationFailed(DreamPixelError):
    status_code = 422
    code = "validation_failed"
    title = "Validation failed"


class RateLimited(DreamPixelError):
    status_code = 429
    code = "rate_limited"
    title = "Too many requests"


class ServiceUnavailable(DreamPixelError):
    status_code = 503
    code = "service_unavailable"
    title = "Service unavailable"
