"""The admin console's SQL: searching accounts and generations, and what one account holds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from dreampixel.core.models import (
    ApiKey,
    AuthSession,
    CreditLedger,
    Generation,
    GenerationStatus,
    ModerationStatus,
    Role,
    Seed,
    Subscription,
    Tier,
    User,
    UserStatus,
)

USER_SORTS: dict[str, Any] = {
    "newest": col(User.created_at).desc(),
    "oldest": col(User.created_at).asc(),
    "email": col(User.email).asc(),
    "credits": col(User.credit_balance).desc(),
    "last_login": col(User.last_login_at).desc(),
}


def search_users(session: Session, *, q: str = "", tier: str = "", role: str = "", status: str = "",
                 verified: str = "", sort: str = "newest", limit: int = 50, offset: int = 0) -> list[User]:
    """Accounts matching a search (an exact id, or part of the email or name) and the filters."""
    query = select(User)
    needle = q.strip()
    if needle:
        pattern = f"%{needle.lower()}%"
        query = query.where(or_(col(User.id) == needle, col(User.email).like(pattern),
                                func.lower(col(User.name)).like(pattern)))
    if tier in Tier.__members__:
        query = query.where(col(User.tier) == Tier(tier))
    if role in Role.__members__:
        query = query.where(col(User.role) == Role(role))
    if status in UserStatus.__members__:
        query = query.where(col(User.status) == UserStatus(status))
    if verified == "yes":
        query = query.where(col(User.email_verified_at).is_not(None))
    elif verified == "no":
        query = query.where(col(User.email_verified_at).is_(None))
    order = USER_SORTS.get(sort, USER_SORTS["newest"])
    return list(session.exec(query.order_by(order, col(User.id).desc()).offset(offset).limit(limit)).all())


def search_generations(session: Session, *, status: str = "", provider: str = "", user: str = "", q: str = "",
                       since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                       offset: int = 0) -> list[Generation]:
    """Generations matching the filters, newest first; `user` is an id or an email."""
    query = select(Generation)
    if status in {s.value for s in GenerationStatus}:
        query = query.where(col(Generation.status) == GenerationStatus(status))
    if provider.strip():
        name = provider.strip()
        query = query.where(or_(col(Generation.provider_used) == name, col(Generation.provider_requested) == name))
    if user.strip():
        who = user.strip()
        owner = session.exec(select(User.id).where(col(User.email) == who.lower())).first()
        query = query.where(col(Generation.user_id) == (owner or who))
    if q.strip():
        query = query.where(func.lower(col(Generation.prompt)).like(f"%{q.strip().lower()}%"))
    if since is not None:
        query = query.where(col(Generation.created_at) >= since)
    if until is not None:
        query = query.where(col(Generation.created_at) < until)
    query = query.order_by(col(Generation.created_at).desc(), col(Generation.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())


def stuck_generations(session: Session, *, now: datetime, stale_before: datetime, queued_before: datetime,
                      limit: int = 200) -> list[Generation]:
    """Processing past the deadline or without a heartbeat since `stale_before`, or queued since `queued_before`."""
    processing = (col(Generation.status) == GenerationStatus.PROCESSING) & (
        (col(Generation.updated_at) < stale_before) | (col(Generation.deadline_at) <= now))
    queued = (col(Generation.status) == GenerationStatus.QUEUED) & (col(Generation.queued_at) < queued_before)
    query = select(Generation).where(processing | queued).order_by(col(Generation.created_at)).limit(limit)
    return list(session.exec(query).all())


def recent_generations(session: Session, *, user_id: str, limit: int = 20) -> list[Generation]:
    query = select(Generation).where(col(Generation.user_id) == user_id)
    return list(session.exec(query.order_by(col(Generation.created_at).desc()).limit(limit)).all())


def recent_ledger(session: Session, *, user_id: str, limit: int = 20) -> list[CreditLedger]:
    query = select(CreditLedger).where(col(CreditLedger.user_id) == user_id)
    return list(session.exec(query.order_by(col(CreditLedger.created_at).desc(), col(CreditLedger.id).desc())
                             .limit(limit)).all())


def subscription_of(session: Session, *, user_id: str) -> Subscription | None:
    return session.exec(select(Subscription).where(col(Subscription.user_id) == user_id)).first()


def live_sessions(session: Session, *, user_id: str, now: datetime) -> list[AuthSession]:
    query = select(AuthSession).where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None),
                                      col(AuthSession.expires_at) > now)
    return list(session.exec(query.order_by(col(AuthSession.created_at).desc())).all())


def api_keys_of(session: Session, *, user_id: str) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(col(ApiKey.user_id) == user_id)
                             .order_by(col(ApiKey.created_at).desc())).all())


def queue_depth(session: Session) -> tuple[int, datetime | None]:
    """How many generations wait in the queue, and when the oldest of them was queued."""
    count, oldest = session.exec(
        select(func.count(), func.min(Generation.queued_at)).where(col(Generation.status) == GenerationStatus.QUEUED)
    ).one()
    return int(count or 0), oldest


def pending_seeds(session: Session, *, limit: int = 50) -> list[tuple[Seed, str | None]]:
    """Seeds waiting for a decision, oldest first, with their creator's email."""
    query = (select(Seed, User.email).join(User, col(User.id) == col(Seed.creator_id), isouter=True)
             .where(col(Seed.moderation_status) == ModerationStatus.PENDING)
             .order_by(col(Seed.created_at)).limit(limit))
    return [(seed, email) for seed, email in session.exec(query).all()]
