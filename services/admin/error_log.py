"""The error log viewer: captured warnings and errors (see dreampixel.core.logging), filtered, resolved, ignored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dreampixel.core.errors import NotFound, ValidationFailed
from dreampixel.core.logging import error_capture
from dreampixel.core.models import ErrorLog, User
from services.admin import audit
from services.admin.schemas import ErrorEntry
from services.events import service as events

STATES = ("open", "resolved", "ignored")
PAGE_SIZE = 100


def _announce(record: dict[str, Any]) -> None:
    # Runs in the capture thread, where logging is not captured again: a failed publish cannot recurse.
    events.publish(events.ADMIN_CHANNEL, {"type": "error.logged", "level": record.get("level")})


def install() -> None:
    """Push an `error.logged` event to open admin pages whenever a record is captured (once per process)."""
    if _announce not in error_capture.listeners:
        error_capture.listeners.append(_announce)


def search(session: Session, *, level: str = "", logger: str = "", state: str = "open", since: datetime | None = None,
           limit: int = PAGE_SIZE) -> list[ErrorEntry]:
    """Most recently seen first; `logger` is a prefix, `state` "" means every state."""
    query = select(ErrorLog)
    if level:
        query = query.where(col(ErrorLog.level) == level)
    if logger.strip():
        query = query.where(col(ErrorLog.logger).startswith(logger.strip(), autoescape=True))
    if state in STATES:
        query = query.where(col(ErrorLog.state) == state)
    if since is not None:
        query = query.where(col(ErrorLog.last_seen_at) >= since)
    rows = session.exec(query.order_by(col(ErrorLog.last_seen_at).desc()).limit(limit)).all()
    return [ErrorEntry.of(row) for row in rows]


def set_state(session: Session, *, actor: User, error_id: str, state: str, ip: str | None = None) -> ErrorEntry:
    """Resolve, ignore or reopen one error (the caller checked the role); audited."""
    if state not in STATES:
        raise ValidationFailed("Unknown state.", errors=[{"field": "state", "message": "open, resolved or ignored."}])
    row = session.get(ErrorLog, error_id)
    if row is None:
        raise NotFound("No such error.")
    before = row.state
    row.state = state
    session.add(row)
    audit.record(session, actor=actor, action=f"error.{state}", target_type="error", target_id=row.id,
                 before=before, after=state, ip=ip)
    session.flush()
    return ErrorEntry.of(row)
