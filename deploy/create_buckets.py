"""Create the S3 buckets the settings name (S3_BUCKET_IMAGES, S3_BUCKET_INVOICES), once.

    python -m deploy.create_buckets            (the container entrypoint's `create-buckets`)

For an S3 server the deployment brings itself (SeaweedFS in deploy/compose.yaml); with AWS S3
or R2 the buckets are usually made by whoever owns the account. A bucket that already exists
and belongs to these credentials is fine; any other refusal exits non-zero.
"""

from __future__ import annotations

import sys

from botocore.exceptions import BotoCoreError, ClientError

from dreampixel.core.logging import configure_logging, get_logger
from dreampixel.core.settings import settings
from services.storage.base import BUCKETS
from services.storage.s3 import S3Storage
from services.storage.service import get_storage

log = get_logger("deploy.create_buckets")


def main() -> int:
    configure_logging()
    if not settings.s3_enabled:
        log.error("deploy.create_buckets.not_configured", reason="S3_BUCKET_IMAGES is empty")
        return 1
    done: set[str] = set()
    for bucket in BUCKETS:
        storage = get_storage(bucket)
        if not isinstance(storage, S3Storage) or storage.bucket_name in done:
            continue
        done.add(storage.bucket_name)
        extra = {}
        if settings.s3_region and settings.s3_region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": settings.s3_region}
        try:
            storage.client.create_bucket(Bucket=storage.bucket_name, **extra)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                log.error("deploy.create_buckets.refused", bucket=storage.bucket_name, error=str(error))
                return 1
            log.info("deploy.create_buckets.exists", bucket=storage.bucket_name)
        except BotoCoreError as error:
            log.error("deploy.create_buckets.unreachable", bucket=storage.bucket_name, error=str(error))
            return 1
        else:
            log.info("deploy.create_buckets.created", bucket=storage.bucket_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
