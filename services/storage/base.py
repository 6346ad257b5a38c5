"""What every storage backend promises: the interface, its errors, keys and cache policy."""

from __future__ import annotations

import re
from typing import Literal, Protocol, runtime_checkable

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.settings import settings

BucketName = Literal["images", "invoices"]
BUCKETS: tuple[BucketName, ...] = ("images", "invoices")
REFERENCE_PREFIX = "references/"
# Keys under these hold public files (the demo marketplace's examples): the CDN may serve them.
PUBLIC_PREFIXES = ("seeds/",)
MAX_KEY_LENGTH = 1024

# One segment: letters, digits, "_", "." and "-", never starting with "." (so no "..", no
# hidden files, and room for the local backend's own ".meta" and ".tmp" directories).
_SEGMENT = r"[A-Za-z0-9_-][A-Za-z0-9_.-]*"
_KEY_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


class StorageNotFound(DreamPixelError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class InvalidStorageKey(DreamPixelError):
    status_code = 400
    code = "invalid_storage_key"
    title = "Invalid storage key"


class StorageUnavailable(DreamPixelError):
    status_code = 503
    code = "storage_unavailable"
    title = "Storage unavailable"


@runtime_checkable
class Storage(Protocol):
    """An object store for one bucket; both backends behave the same."""

    name: str

    async def put(self, key: str, data: bytes, *, content_type: str, cache_seconds: int | None = None) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...

    def url(self, key: str, *, expires_in: int | None = None, public: bool = False) -> str: ...

    async def health(self) -> dict[str, object]: ...

    async def list_keys(self, prefix: str) -> list[str]: ...


def validate_key(key: str) -> str:
    """Return `key` unchanged, or raise InvalidStorageKey for anything path-like or odd."""
    if not key or len(key) > MAX_KEY_LENGTH or not _KEY_RE.fullmatch(key):
        raise InvalidStorageKey(f"Invalid storage key: {key[:80]!r}.")
    return key


def default_cache_seconds(key: str) -> int:
    """The cache lifetime a key gets when the writer does not choose one."""
    return settings.cache_ttl_reference if key.startswith(REFERENCE_PREFIX) else settings.cache_ttl_generation


def is_public_key(key: str) -> bool:
    """Whether the object is public by nature (marketplace examples), not one person's image."""
    return key.startswith(PUBLIC_PREFIXES)


def cache_control(bucket: BucketName, key: str, cache_seconds: int | None, *, public: bool | None = None) -> str:
    """The Cache-Control header for an object.

    Only public objects may sit in shared caches (a CDN, a proxy), and only they are immutable;
    everything else is `private`, so a signed URL is kept by the browser that asked and nobody
    else. `public` defaults to what the key says.
    """
    if bucket == "invoices":
        return "private, no-store"
    seconds = default_cache_seconds(key) if cache_seconds is None else cache_seconds
    if seconds <= 0:
        return "no-cache"
    if is_public_key(key) if public is None else public:
        return f"public, max-age={seconds}, immutable"
    return f"private, max-age={seconds}"
