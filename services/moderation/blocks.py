"""The log of blocked prompts, and strikes: each refusal counts against its user, and a repeat
offender is suspended by the platform itself (actor "system" in the audit log).

A refusal raises PromptBlocked inside the submitting unit of work, which then rolls back, so
the refusal cannot be written there. `record_when_done` keeps it on the session, and once that
session's transaction has ended (rolled back, or committed by an edge that caught the error)
it is written in a unit of work of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, func, select

from dreampixel.core.db import uow
from dreampixel.core.logging import get_logger
from dreampixel.core.models import AuditLog, BlockedPrompt, Role, User, UserStatus, utcnow
from dreampixel.core.models.moderation import PROMPT_EXCERPT_LENGTH
from dreampixel.core.settings import settings
from services.accounts import credentials
from services.accounts.admin import require_role
from services.events import service as events

log = get_logger(__name__)

_PENDING = "dreampixel.moderation.pending_blocks"
PAGE_SIZE = 100
STAFF = frozenset({Role.ADMIN, Role.MODERATOR})


@dataclass(frozen=True)
class PendingBlock:
    user_id: str
    prompt: str
    rule_id: str | None
    phrase: str
    category: str
    source: str


def record_when_done(session: Session, block: PendingBlock) -> None:
    """Write `block` (and its strike) once `session`'s transaction ends, however it ends."""
    session.info.setdefault(_PENDING, []).append(block)


@event.listens_for(OrmSession, "after_transaction_end")
def _write_pending(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint or a subtransaction: the session goes on
        return
    pending: list[PendingBlock] = session.info.pop(_PENDING, [])
    for block in pending:
        try:
            with uow() as fresh:
                record(fresh, block)
        except Exception:  # the refusal stands; only its log line is lost, and that is logged
            log.exception("moderation.block_not_recorded", user_id=block.user_id, rule_id=block.rule_id)


def strike_window_start(session: Session, *, user_id: str, now: datetime) -> datetime:
    """Strikes count from the window's start, or from the user's last suspension for strikes if later."""
    start = now - timedelta(days=settings.moderation_strike_window_days)
    last = session.exec(select(func.max(BlockedPrompt.created_at))
                        .where(col(BlockedPrompt.user_id) == user_id, col(BlockedPrompt.suspended).is_(True))).one()
    return max(start, last) if last is not None else start


def strikes(session: Session, *, user_id: str, now: datetime | None = None) -> int:
    """How many refusals of `user_id` count towards a suspension now."""
    now = now or utcnow()
    since = strike_window_start(session, user_id=user_id, now=now)
    return int(session.exec(select(func.count()).select_from(BlockedPrompt)
                            .where(col(BlockedPrompt.user_id) == user_id, col(BlockedPrompt.created_at) > since)).one())


def record(session: Session, block: PendingBlock) -> BlockedPrompt:
    """Log one refusal; suspend its user when it is their strike number MODERATION_STRIKE_LIMIT."""
    # Locking the user's row counts two refusals arriving together one after the other.
    user = session.exec(select(User).where(col(User.id) == block.user_id).with_for_update()).first()
    row = BlockedPrompt(user_id=block.user_id, prompt_excerpt=block.prompt[:PROMPT_EXCERPT_LENGTH],
                        rule_id=block.rule_id, phrase=block.phrase, category=block.category, source=block.source)
    if user is None:  # the account is gone; there is nobody to log against
        return row
    session.add(row)
    session.flush()
    log.info("moderation.prompt_blocked", user_id=user.id, rule_id=block.rule_id, category=block.category,
             source=block.source)
    events.publish_admin_after_commit(session, {"type": "moderation.blocked"})
    limit = settings.moderation_strike_limit
    if limit <= 0 or user.role in STAFF or user.status is not UserStatus.ACTIVE:
        return row
    count = strikes(session, user_id=user.id, now=row.created_at)
    if count >= limit:
        row.suspended = True
        session.add(row)
        _suspend_for_strikes(session, user=user, count=count, block=row)
    return row


def _suspend_for_strikes(session: Session, *, user: User, count: int, block: BlockedPrompt) -> None:
    """What an admin's suspension does (status, every session and API key ended), by the platform."""
    before = user.status.value
    user.status = UserStatus.SUSPENDED
    session.add(user)
    ended = credentials.end_access(session, user_id=user.id, reason="moderation.strikes")
    reason = (f"{count} blocked prompts within {settings.moderation_strike_window_days} days "
              f"(limit {settings.moderation_strike_limit})")
    session.add(AuditLog(actor_id=None, action="user.suspended", target_type="user", target_id=user.id,
                         details={"reason": reason, "before": before, "after": UserStatus.SUSPENDED.value,
                                  "actor": "system", "strikes": count, "blocked_prompt_id": block.id,
                                  "sessions_revoked": ended.sessions, "api_keys_revoked": ended.api_keys}))
    session.flush()
    log.warning("moderation.user_suspended", user_id=user.id, strikes=count)


# ---- the log, as the moderation page and /api/admin read it ------------------------------------------


def search(session: Session, *, actor: User, user: str = "", category: str = "", source: str = "", since: datetime | None = None,
           until: datetime | None = None, limit: int = PAGE_SIZE, offset: int = 0) -> list[tuple[BlockedPrompt, str | None]]:
    """MODERATOR or ADMIN: newest first, with each user's email; `user` is an id or an email, `category` exact."""
    require_role(actor, STAFF, "read blocked prompts")
    query = select(BlockedPrompt, User.email).join(User, col(User.id) == col(BlockedPrompt.user_id), isouter=True)
    if user.strip():
        needle = user.strip()
        query = query.where((col(BlockedPrompt.user_id) == needle) | (col(User.email) == needle.lower()))
    if category.strip():
        query = query.where(col(BlockedPrompt.category) == category.strip())
    if source.strip():
        query = query.where(col(BlockedPrompt.source) == source.strip())
    if since is not None:
        query = query.where(col(BlockedPrompt.created_at) >= since)
    if until is not None:
        query = query.where(col(BlockedPrompt.created_at) < until)
    query = query.order_by(col(BlockedPrompt.created_at).desc(), col(BlockedPrompt.id).desc())
    return [(row, email) for row, email in session.exec(query.offset(offset).limit(limit)).all()]

