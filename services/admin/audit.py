"""The audit trail: every staff action as one row (actor, action, target, reason, before/after), and its search."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dreampixel.core.models import AuditLog, User
from services.accounts.admin import audit
from services.admin.schemas import AuditEntry

PAGE_SIZE = 100


def record(session: Session, *, actor: User, action: str, target_type: str, target_id: str, reason: str | None = None,
           before: Any = None, after: Any = None, ip: str | None = None, **extra: Any) -> None:
    """Write one audit row in the caller's transaction."""
    details: dict[str, Any] = {"reason": reason, "before": before, "after": after, **extra}
    audit(session, actor=actor, action=action, target_type=target_type, target_id=target_id, ip=ip, details=details)


def search(session: Session, *, actor: str = "", action: str = "", target: str = "", since: datetime | None = None,
           until: datetime | None = None, limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Newest first; `actor` is an id or an email, `action` a prefix ("user." finds every user action)."""
    query = select(AuditLog, User.email).join(User, col(User.id) == col(AuditLog.actor_id), isouter=True)
    if actor.strip():
        needle = actor.strip().lower()
        query = query.where((col(AuditLog.actor_id) == actor.strip()) | (col(User.email) == needle))
    if action.strip():
        query = query.where(col(AuditLog.action).startswith(action.strip(), autoescape=True))
    if target.strip():
        query = query.where(col(AuditLog.target_id) == target.strip())
    if since is not None:
        query = query.where(col(AuditLog.created_at) >= since)
    if until is not None:
        query = query.where(col(AuditLog.created_at) < until)
    rows = session.exec(query.order_by(col(AuditLog.created_at).desc(), col(AuditLog.id).desc()).limit(limit)).all()
    return [AuditEntry.of(row, email) for row, email in rows]
