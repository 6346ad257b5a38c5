"""Which storage backend serves a bucket, chosen once from settings."""

from __future__ import annotations

from functools import cache

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.storage.base import BUCKETS, BucketName, Storage, StorageNotFound
from services.storage.local import LocalStorage
from services.storage.s3 import S3Storage

log = get_logger(__name__)

# The files router is mounted under /api by create_api(); local URLs must match that path.
LOCAL_FILES_URL = "/api/files"


@cache
def get_storage(bucket: BucketName = "images") -> Storage:
    """The storage for `bucket`: S3 when S3_BUCKET_IMAGES is set, else a local directory."""
    if bucket not in BUCKETS:
        raise ValueError(f"unknown bucket {bucket!r}")
    if settings.s3_enabled:
        return _s3_storage(bucket)
    return LocalStorage(
        settings.storage_dir / bucket,
        LOCAL_FILES_URL,
        settings.session_secret.get_secret_value().encode(),
        bucket=bucket,
        default_expires_in=settings.s3_presign_ttl_seconds,
    )


def reset_storage_cache() -> None:
    """Forget the backends made so far (tests that change settings call this)."""
    get_storage.cache_clear()


def _s3_storage(bucket: BucketName) -> S3Storage:
    bucket_name, prefix = settings.s3_bucket_images, ""
    if bucket == "invoices":
        if settings.s3_bucket_invoices:
            bucket_name = settings.s3_bucket_invoices
        else:
            # Works out of the box, but a CDN in front of the images bucket could reach these.
            prefix = "invoices/"
            log.warning("storage.invoices_share_images_bucket", bucket=bucket_name)
    return S3Storage(
        bucket_name=bucket_name,
        bucket=bucket,
        endpoint_url=settings.s3_endpoint_url or None,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id or None,
        secret_access_key=settings.s3_secret_access_key.get_secret_value() or None,
        presign_ttl_seconds=settings.s3_presign_ttl_seconds,
        cdn_base_url=settings.cdn_base_url,
        prefix=prefix,
    )


async def delete_many(keys: list[str], *, bucket: BucketName = "images") -> int:
    """Remove every object in `keys` that exists; returns how many were removed.

    For clean-ups after a commit (deleted generations, a deleted account): one unreachable
    file is logged and skipped, never a reason to keep the others.
    """
    storage = get_storage(bucket)
    removed = 0
    for key in keys:
        try:
            await storage.delete(key)
            removed += 1
        except StorageNotFound:
            continue
        except Exception:
            log.exception("storage.delete_failed", bucket=bucket, key=key)
    return removed
