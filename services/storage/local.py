"""Storage in a local directory, served by the app at `/api/files/<bucket>/<key>`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import mimetypes
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dreampixel.core.logging import get_logger
from services.storage import signing
from services.storage.base import BucketName, StorageNotFound, validate_key

log = get_logger(__name__)

_META_DIR = ".meta"
_TMP_DIR = ".tmp"


@dataclass(frozen=True)
class LocalFile:
    """A stored file ready to be served: where it is and the headers it needs."""

    path: Path
    content_type: str
    cache_seconds: int | None
    etag: str
    stat: os.stat_result


class LocalStorage:
    """One bucket as a directory; writes are atomic, metadata lives in a sidecar tree."""

    name = "local"

    def __init__(
        self,
        root: Path,
        base_url: str,
        secret: bytes,
        *,
        bucket: BucketName = "images",
        default_expires_in: int = 3600,
    ) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.bucket: BucketName = bucket
        self.default_expires_in = default_expires_in
        self._url_key = signing.derive_url_key(secret)

    # --- the Storage interface -----------------------------------------------------------
    async def put(self, key: str, data: bytes, *, content_type: str, cache_seconds: int | None = None) -> None:
        """Store `data` under `key`, replacing any earlier object atomically."""
        validate_key(key)
        await asyncio.to_thread(self._put_sync, key, data, content_type, cache_seconds)
        log.info("storage.put", backend=self.name, bucket=self.bucket, key=key, size=len(data))

    async def get(self, key: str) -> bytes:
        """The object's bytes; StorageNotFound when there is none."""
        validate_key(key)
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise StorageNotFound(f"No stored object {key!r}.") from None

    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        validate_key(key)
        await asyncio.to_thread(self._delete_sync, key)
        log.info("storage.delete", backend=self.name, bucket=self.bucket, key=key)

    async def exists(self, key: str) -> bool:
        validate_key(key)
        return await asyncio.to_thread(self._path(key).is_file)

    def url(self, key: str, *, expires_in: int | None = None, public: bool = False) -> str:
        """An app-relative URL; signed with an expiry, or signed without one when `public`."""
        validate_key(key)
        expires_at = None if public else int(time.time()) + (expires_in or self.default_expires_in)
        signature = signing.sign(self._url_key, self.bucket, key, expires_at)
        query = f"sig={signature}" if expires_at is None else f"exp={expires_at}&sig={signature}"
        return f"{self.base_url}/{self.bucket}/{quote(key)}?{query}"

    async def health(self) -> dict[str, object]:
        """Whether the bucket directory exists (or can be made) and is writable."""
        ok, detail = await asyncio.to_thread(self._health_sync)
        return {"backend": self.name, "ok": ok, "detail": detail}

    # --- used by the files router ----------------------------------------------------------
    def verify_url(self, key: str, expires_at: int | None, signature: str) -> bool:
        """True when a URL's signature is valid for this bucket and key and not expired."""
        return signing.verify(self._url_key, self.bucket, key, expires_at, signature)

    async def open(self, key: str) -> LocalFile:
        """The file and its serving metadata, without reading its content."""
        validate_key(key)
        return await asyncio.to_thread(self._open_sync, key)

    async def list_keys(self, prefix: str) -> list[str]:
        """Every stored key under `prefix` (a folder-like prefix such as `generations/`), sorted."""
        return await asyncio.to_thread(self._list_sync, prefix)

    # --- blocking work, always run in a thread ---------------------------------------------
    def _list_sync(self, prefix: str) -> list[str]:
        top = self.root / prefix if prefix.endswith("/") else self.root
        if not top.is_dir():
            return []
        keys = (path.relative_to(self.root).as_posix() for path in top.rglob("*") if path.is_file())
        return sorted(key for key in keys if key.startswith(prefix) and not key.startswith((_META_DIR, _TMP_DIR)))

    def _path(self, key: str) -> Path:
        return self.root / key

    def _meta_path(self, key: str) -> Path:
        return self.root / _META_DIR / f"{key}.json"

    def _put_sync(self, key: str, data: bytes, content_type: str, cache_seconds: int | None) -> None:
        meta = {
            "content_type": content_type,
            "cache_seconds": cache_seconds,
            "etag": hashlib.sha256(data).hexdigest()[:32],
            "size": len(data),
        }
        # Metadata first: a reader that sees the new file must never see the old type or ETag.
        self._write_atomic(self._meta_path(key), json.dumps(meta).encode())
        self._write_atomic(self._path(key), data)

    def _write_atomic(self, target: Path, data: bytes) -> None:
        # Directories are made only when a write finds them missing (a generation writes six
        # files; checking first would be twelve more system calls each time).
        tmp_dir = self.root / _TMP_DIR
        tmp_name = tmp_dir / uuid.uuid4().hex
        try:
            fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            try:
                os.replace(tmp_name, target)
            except FileNotFoundError:  # a new directory, or one a delete just pruned
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, target)
        except BaseException:
            tmp_name.unlink(missing_ok=True)
            raise

    def _delete_sync(self, key: str) -> None:
        for path, top in ((self._path(key), self.root), (self._meta_path(key), self.root / _META_DIR)):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                path.unlink()
            _prune_empty_parents(path.parent, top)

    def _open_sync(self, key: str) -> LocalFile:
        path = self._path(key)
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise StorageNotFound(f"No stored object {key!r}.") from None
        if not path.is_file():
            raise StorageNotFound(f"No stored object {key!r}.")
        meta = self._read_meta(key)
        content_type = meta.get("content_type") or mimetypes.guess_type(key)[0] or "application/octet-stream"
        etag = meta.get("etag") or f"{stat.st_mtime_ns:x}-{stat.st_size:x}"
        cache_seconds = meta.get("cache_seconds")
        return LocalFile(
            path, str(content_type), cache_seconds if isinstance(cache_seconds, int) else None, str(etag), stat
        )

    def _read_meta(self, key: str) -> dict[str, object]:
        try:
            loaded = json.loads(self._meta_path(key).read_bytes())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def _health_sync(self) -> tuple[bool, str]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            if not os.access(self.root, os.W_OK):
                return False, "the storage directory is not writable"
            free_mb = shutil.disk_usage(self.root).free // (1024 * 1024)
        except OSError as exc:
            # The type only: a health report is public and must not reveal server paths.
            return False, f"the storage directory is unusable ({type(exc).__name__})"
        return True, f"writable, {free_mb} MB free"


def _prune_empty_parents(directory: Path, top: Path) -> None:
    """Remove `directory` and its parents below `top` while they are empty (as S3 has no folders)."""
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:  # not empty (or already gone, or in use): stop here
            return
        directory = directory.parent
