"""HMAC-signed file URLs for the local backend, as private as S3 presigned URLs."""

from __future__ import annotations

import hashlib
import hmac
import time

# Derive a key for this one purpose so a URL signature can never stand in for a session.
_PURPOSE = b"dreampixel.storage.url.v1"


def derive_url_key(secret: bytes) -> bytes:
    """The key URL signatures are made with, derived from the app secret."""
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def sign(url_key: bytes, bucket: str, key: str, expires_at: int | None) -> str:
    """Signature over bucket, key and expiry; `expires_at=None` signs a permanent URL."""
    message = f"{bucket}\n{key}\n{'' if expires_at is None else expires_at}".encode()
    return hmac.new(url_key, message, hashlib.sha256).hexdigest()


def verify(
    url_key: bytes, bucket: str, key: str, expires_at: int | None, signature: str, *, now: float | None = None
) -> bool:
    """True when the signature matches and the URL has not expired."""
    if expires_at is not None and expires_at < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(sign(url_key, bucket, key, expires_at), signature)
