"""The cleanup's SQL: each query names what it deletes or finds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Delete, delete, or_
from sqlmodel import Session, col, select

from dreampixel.core.models import (
    AuthSession,
    Generation,
    IdempotencyRecord,
    Image,
    ImageType,
    Seed,
    VerificationToken,
    WebhookAttempt,
)


def _deleted(session: Session, statement: Delete) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)


def delete_expired_idempotency_records(session: Session, *, now: datetime) -> int:
    return _deleted(session, delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) < now))


def delete_ended_sessions(session: Session, *, before: datetime) -> int:
    """Sessions that expired or were revoked before `before` (a signed-out browser's row is kept a while
    for the account's security history)."""
    ended = or_(col(AuthSession.expires_at) < before, col(AuthSession.revoked_at) < before)
    return _deleted(session, delete(AuthSession).where(ended))


def delete_spent_tokens(session: Session, *, before: datetime) -> int:
    """Verification, reset and email-change tokens used or expired before `before`."""
    spent = or_(col(VerificationToken.used_at) < before, col(VerificationToken.expires_at) < before)
    return _deleted(session, delete(VerificationToken).where(spent))


def delete_old_webhook_attempts(session: Session, *, before: datetime) -> int:
    return _deleted(session, delete(WebhookAttempt).where(col(WebhookAttempt.created_at) < before))


def orphaned_references(session: Session, *, before: datetime, limit: int) -> list[Image]:
    """Reference uploads older than `before` that no generation and no seed uses."""
    used_by_generation = select(Generation.id).where(col(Generation.reference_image_id) == col(Image.id))
    candidates = list(session.exec(
        select(Image).where(col(Image.type) == ImageType.REFERENCE, col(Image.created_at) < before,
                            ~used_by_generation.exists())
        .order_by(col(Image.created_at)).limit(limit)
    ).all())
    if not candidates:
        return []
    in_seeds = {image_id for ids in session.exec(select(Seed.example_image_ids)).all() for image_id in ids or []}
    return [image for image in candidates if image.id not in in_seeds]


def existing_generation_ids(session: Session, generation_ids: Sequence[str]) -> set[str]:
    if not generation_ids:
        return set()
    return set(session.exec(select(Generation.id).where(col(Generation.id).in_(list(generation_ids)))).all())


def keys_in_use(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of these storage keys an image row still points at (a seed's example outlives its generation)."""
    if not keys:
        return set()
    return set(session.exec(select(Image.storage_key).where(col(Image.storage_key).in_(list(keys)))).all())
