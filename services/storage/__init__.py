"""Object storage: a local directory by default, any S3 API when configured."""

from services.storage.base import (
    BucketName,
    InvalidStorageKey,
    Storage,
    StorageNotFound,
    StorageUnavailable,
    cache_control,
    validate_key,
)
from services.storage.local import LocalStorage
from services.storage.s3 import S3Storage
from services.storage.service import delete_many, get_storage, reset_storage_cache

__all__ = [
    "BucketName",
    "InvalidStorageKey",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageNotFound",
    "StorageUnavailable",
    "cache_control",
    "delete_many",
    "get_storage",
    "reset_storage_cache",
    "validate_key",
]
