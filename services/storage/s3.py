"""Storage on any S3 API (AWS, R2, MinIO, SeaweedFS); every boto3 call runs in a thread."""

from __future__ import annotations

import asyncio
import threading
from functools import cached_property
from typing import Any
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from dreampixel.core.logging import get_logger
from services.storage.base import BucketName, StorageNotFound, StorageUnavailable, cache_control, validate_key

log = get_logger(__name__)

# SigV4 presigned URLs cannot live longer than a week.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_NOT_FOUND_CODES = frozenset({"404", "NoSuchKey", "NotFound", "NoSuchBucket"})


class S3Storage:
    """One bucket on an S3 API; `prefix` namespaces keys when buckets are shared."""

    name = "s3"

    def __init__(
        self,
        *,
        bucket_name: str,
        bucket: BucketName = "images",
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        presign_ttl_seconds: int = 3600,
        cdn_base_url: str = "",
        prefix: str = "",
    ) -> None:
        self.bucket_name = bucket_name
        self.bucket: BucketName = bucket
        self.endpoint_url = endpoint_url or None
        self.region = region
        self.presign_ttl_seconds = presign_ttl_seconds
        self.cdn_base_url = cdn_base_url.rstrip("/")
        self.prefix = prefix
        self._access_key_id = access_key_id or None
        self._secret_access_key = secret_access_key or None
        self._client_lock = threading.Lock()

    @cached_property
    def client(self) -> Any:
        """The boto3 client (thread-safe, made once); path-style when an endpoint is set."""
        with self._client_lock:
            config = Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if self.endpoint_url else "auto"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
                max_pool_connections=32,
            )
            return boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id=self._access_key_id,
                aws_secret_access_key=self._secret_access_key,
                config=config,
            )

    # --- the Storage interface -----------------------------------------------------------
    async def put(self, key: str, data: bytes, *, content_type: str, cache_seconds: int | None = None) -> None:
        """Upload `data` with its Content-Type and Cache-Control."""
        validate_key(key)
        await self._call(
            "put_object",
            Bucket=self.bucket_name,
            Key=self._object_key(key),
            Body=data,
            ContentType=content_type,
            CacheControl=cache_control(self.bucket, key, cache_seconds),
        )
        log.info("storage.put", backend=self.name, bucket=self.bucket, key=key, size=len(data))

    async def get(self, key: str) -> bytes:
        """The object's bytes; StorageNotFound when there is none."""
        validate_key(key)

        def download() -> bytes:
            response = self.client.get_object(Bucket=self.bucket_name, Key=self._object_key(key))
            body = response["Body"]
            try:
                return bytes(body.read())
            finally:
                body.close()

        try:
            return await asyncio.to_thread(download)
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES:
                raise StorageNotFound(f"No stored object {key!r}.") from None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc

    async def delete(self, key: str) -> None:
        """Remove the object; S3 itself treats deleting a missing key as success."""
        validate_key(key)
        await self._call("delete_object", Bucket=self.bucket_name, Key=self._object_key(key))
        log.info("storage.delete", backend=self.name, bucket=self.bucket, key=key)

    async def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            await self._call("head_object", Bucket=self.bucket_name, Key=self._object_key(key))
        except StorageNotFound:
            return False
        return True

    def url(self, key: str, *, expires_in: int | None = None, public: bool = False) -> str:
        """A presigned GET URL, answered `Cache-Control: private`; a public image's goes through
        the CDN when CDN_BASE_URL is set.

        Presigning is a local computation (no network), so it is safe on the event loop.
        """
        validate_key(key)
        object_key = self._object_key(key)
        if public and self.cdn_base_url and self.bucket == "images":
            return f"{self.cdn_base_url}/{quote(object_key)}"
        seconds = min(MAX_PRESIGN_SECONDS if public else (expires_in or self.presign_ttl_seconds), MAX_PRESIGN_SECONDS)
        params = {"Bucket": self.bucket_name, "Key": object_key}
        if not public:
            # Whatever the object was stored with (older objects said `public`), a signed URL is
            # one person's: S3 answers it with this header instead.
            params["ResponseCacheControl"] = cache_control(self.bucket, key, seconds, public=False)
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))

    async def health(self) -> dict[str, object]:
        """HEAD the bucket: ok when it exists and the credentials may use it."""
        try:
            await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket_name)
        except ClientError as exc:
            code = _error_code(exc)
            detail = f"bucket {self.bucket_name!r} does not exist" if code in _NOT_FOUND_CODES else f"{code}: {exc}"
            return {"backend": self.name, "ok": False, "detail": detail}
        except BotoCoreError as exc:
            return {"backend": self.name, "ok": False, "detail": f"{type(exc).__name__}: {exc}"}
        return {"backend": self.name, "ok": True, "detail": f"bucket {self.bucket_name!r}"}

    async def list_keys(self, prefix: str) -> list[str]:
        """Every stored key under `prefix`, sorted (paged through ListObjectsV2, off the event loop)."""

        def listing() -> list[str]:
            keys: list[str] = []
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket_name, Prefix=self._object_key(prefix))
            for page in pages:
                keys += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
            return sorted(keys)

        try:
            return await asyncio.to_thread(listing)
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc

    # --- internals -----------------------------------------------------------------------
    def _object_key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def _call(self, operation: str, **params: Any) -> Any:
        try:
            return await asyncio.to_thread(lambda: getattr(self.client, operation)(**params))
        except ClientError as exc:
            if _error_code(exc) in _NOT_FOUND_CODES and operation == "head_object":
                raise StorageNotFound(f"No stored object {params.get('Key')!r}.") from None
            raise _unavailable(exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _unavailable(exc: Exception) -> StorageUnavailable:
    log.warning("storage.s3_failed", error=repr(exc))
    return StorageUnavailable(f"Object storage failed: {type(exc).__name__}.")
