"""`GET /api/files/{bucket}/{key}`: serves local-storage files behind signed, expiring URLs."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from dreampixel.core.errors import Forbidden
from services.storage import (
    InvalidStorageKey,
    LocalStorage,
    StorageNotFound,
    cache_control,
    get_storage,
    validate_key,
)
from services.storage.base import BUCKETS

router = APIRouter(tags=["files"], include_in_schema=False)


@router.get("/files/{bucket}/{key:path}")
async def serve_file(bucket: str, key: str, request: Request, exp: str | None = None, sig: str = "") -> Response:
    """Stream a stored file after checking its URL signature; 304 when the ETag still matches."""
    storage = get_storage(bucket) if bucket in BUCKETS else None
    if not isinstance(storage, LocalStorage):
        # With S3 configured, files are served by S3 or the CDN, never through the app.
        raise StorageNotFound("No such file.")
    try:
        validate_key(key)  # refuses "..", absolute paths and anything outside [A-Za-z0-9/_.-]
    except InvalidStorageKey:
        raise StorageNotFound("No such file.") from None
    try:
        expires_at = int(exp) if exp is not None else None
    except ValueError:
        raise Forbidden("The file link is invalid.", code="invalid_signature") from None
    if not sig or not storage.verify_url(key, expires_at, sig):
        raise Forbidden("The file link is invalid or has expired.", code="invalid_signature")

    stored = await storage.open(key)
    etag = f'"{stored.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": _cache_control(storage, key, stored.cache_seconds, expires_at),
        "X-Content-Type-Options": "nosniff",
    }
    if _etag_matches(request.headers.get("if-none-match"), stored.etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(stored.path, media_type=stored.content_type, headers=headers, stat_result=stored.stat)


def _cache_control(storage: LocalStorage, key: str, cache_seconds: int | None, expires_at: int | None) -> str:
    """`private` for a signed, expiring URL (one person's), never cached past its expiry;
    `public` only for the permanent URLs of public files."""
    if expires_at is None:
        return cache_control(storage.bucket, key, cache_seconds, public=True)
    lifetime = max(0, expires_at - int(time.time()))
    seconds = lifetime if cache_seconds is None else min(cache_seconds, lifetime)
    return cache_control(storage.bucket, key, seconds, public=False)


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/").strip('"') for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates
