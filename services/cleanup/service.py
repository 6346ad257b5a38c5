"""Scheduled cleanup: delete what has outlived its use, each category counted and logged.

- idempotency records past their expiry;
- sessions expired or revoked longer than CLEANUP_SESSION_GRACE_DAYS ago;
- verification, reset and email-change tokens used or expired longer than CLEANUP_TOKEN_GRACE_HOURS ago;
- reference uploads no generation or seed used, CLEANUP_ORPHAN_UPLOAD_HOURS after the upload (row and files);
- files under `generations/<id>/` whose generation row is gone and that no image row points at
  (a delete whose file removal failed, a process killed between the commit and the removal);
- webhook attempt rows older than CLEANUP_WEBHOOK_ATTEMPT_DAYS.

Every step is safe to run twice and from two processes at once: each deletes by condition, and a
file already gone counts as removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session

from dreampixel.core.logging import get_logger
from dreampixel.core.models import utcnow
from dreampixel.core.settings import settings
from services.cleanup import repository
from services.images import repository as image_rows
from services.storage import delete_many, get_storage

log = get_logger(__name__)

T = TypeVar("T")
UnitsOfWork = Callable[..., Awaitable[Any]]

GENERATION_PREFIX = "generations/"
# Reference uploads removed per pass: a backlog drains over a few hours instead of one long transaction.
REFERENCE_BATCH = 500


def purge_records(session: Session, *, now: datetime) -> dict[str, int]:
    """Delete the expired and spent rows; returns how many of each kind."""
    return {
        "idempotency_records": repository.delete_expired_idempotency_records(session, now=now),
        "sessions": repository.delete_ended_sessions(
            session, before=now - timedelta(days=settings.cleanup_session_grace_days)),
        "tokens": repository.delete_spent_tokens(
            session, before=now - timedelta(hours=settings.cleanup_token_grace_hours)),
        "webhook_attempts": repository.delete_old_webhook_attempts(
            session, before=now - timedelta(days=settings.cleanup_webhook_attempt_days)),
    }


def take_orphaned_references(session: Session, *, now: datetime) -> list[str]:
    """Delete the rows of orphaned reference uploads; returns their files' keys (remove them after the commit)."""
    before = now - timedelta(hours=settings.cleanup_orphan_upload_hours)
    images = repository.orphaned_references(session, before=before, limit=REFERENCE_BATCH)
    keys = image_rows.storage_keys(images)
    image_rows.delete_rows(session, images)
    return keys


def leftover_generation_files(session: Session, keys: list[str]) -> list[str]:
    """Of these `generations/<id>/...` keys, those whose generation is gone and that no image row uses."""
    by_generation: dict[str, list[str]] = {}
    for key in keys:
        generation_id = key[len(GENERATION_PREFIX):].split("/", 1)[0]
        if generation_id:
            by_generation.setdefault(generation_id, []).append(key)
    existing = repository.existing_generation_ids(session, list(by_generation))
    candidates = [key for gid, group in by_generation.items() if gid not in existing for key in group]
    in_use = repository.keys_in_use(session, candidates)
    return [key for key in candidates if key not in in_use]


async def run(*, unit_of_work: UnitsOfWork, now: datetime | None = None) -> dict[str, int]:
    """One cleanup pass: each category deleted and counted (logged as `cleanup.done`)."""
    now = now or utcnow()
    counts: dict[str, int] = await unit_of_work(lambda session: purge_records(session, now=now))
    reference_keys: list[str] = await unit_of_work(lambda session: take_orphaned_references(session, now=now))
    counts["reference_uploads"] = len({key.rsplit("/", 1)[0] for key in reference_keys})
    counts["reference_files"] = await delete_many(reference_keys)
    listed = await get_storage().list_keys(GENERATION_PREFIX)
    leftovers: list[str] = await unit_of_work(lambda session: leftover_generation_files(session, listed))
    counts["deleted_generation_files"] = await delete_many(leftovers)
    log.info("cleanup.done", **counts)
    return counts
