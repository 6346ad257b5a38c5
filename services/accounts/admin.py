"""Roles and suspension: what admins may do to accounts (seeds: services.seeds.moderation).

Every function checks the actor's role itself; a page or route that hides a button is not
authorization. Each action writes an AuditLog row in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from dreampixel.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dreampixel.core.logging import get_logger
from dreampixel.core.models import AuditLog, Role, User, UserStatus
from services.accounts import sessions
from services.api_keys import service as api_keys

log = get_logger(__name__)

REASON_MAX_LENGTH = 1000
MODERATORS = frozenset({Role.MODERATOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


def require_role(actor: User, allowed: frozenset[Role], action: str) -> None:
    """Forbidden unless `actor` is active and holds one of the `allowed` roles."""
    if actor.status is not UserStatus.ACTIVE or actor.role not in allowed:
        raise Forbidden(f"Your role may not {action}.")


def _target(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    """The reason trimmed to its maximum length; ValidationFailed when required and blank."""
    cleaned = (reason or "").strip()[:REASON_MAX_LENGTH]
    if required and not cleaned:
        raise ValidationFailed("Give a reason.", errors=[{"field": "reason", "message": "Required."}])
    return cleaned or None


def audit(session: Session, *, actor: User, action: str, target_type: str, target_id: str, ip: str | None,
          details: dict[str, Any]) -> None:
    """Record a staff action in the AuditLog, in the caller's transaction."""
    session.add(AuditLog(actor_id=actor.id, action=action, target_type=target_type, target_id=target_id,
                         ip=(ip or "")[:64] or None, details=details))
    log.info(action, actor_id=actor.id, target_id=target_id)


def revoke_api_keys(session: Session, *, user_id: str) -> int:
    """Revoke every live API key of `user_id`; returns how many."""
    return api_keys.revoke_all(session, user_id=user_id)


def suspend(session: Session, *, actor: User, user_id: str, reason: str, ip: str | None = None) -> User:
    """ADMIN only: suspend `user_id` and end all their web sessions and API keys at once."""
    require_role(actor, ADMINS, "suspend accounts")
    if user_id == actor.id:
        raise Conflict("You cannot suspend your own account.", code="cannot_suspend_self")
    why = clean_reason(reason, required=True)
    user = _target(session, user_id)
    before = user.status.value
    user.status = UserStatus.SUSPENDED
    session.add(user)
    ended = sessions.revoke_all(session, user_id=user.id)
    revoked = revoke_api_keys(session, user_id=user.id)
    audit(session, actor=actor, action="user.suspended", target_type="user", target_id=user.id, ip=ip,
          details={"reason": why, "before": before, "after": UserStatus.SUSPENDED.value, "sessions_revoked": ended,
                   "api_keys_revoked": revoked})
    session.flush()
    return user


def unsuspend(session: Session, *, actor: User, user_id: str, reason: str | None = None,
              ip: str | None = None) -> User:
    """ADMIN only: let `user_id` sign in again (revoked sessions and keys stay revoked)."""
    require_role(actor, ADMINS, "unsuspend accounts")
    user = _target(session, user_id)
    before = user.status.value
    user.status = UserStatus.ACTIVE
    session.add(user)
    audit(session, actor=actor, action="user.unsuspended", target_type="user", target_id=user.id, ip=ip,
          details={"reason": clean_reason(reason, required=False), "before": before,
                   "after": UserStatus.ACTIVE.value})
    session.flush()
    return user


def set_role(session: Session, *, actor: User, user_id: str, role: Role, reason: str | None = None,
             ip: str | None = None) -> User:
    """ADMIN only: give `user_id` another role; the last admin cannot stop being one."""
    require_role(actor, ADMINS, "change roles")
    user = _target(session, user_id)
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        # Lock the admin rows so two admins demoting each other at once cannot both succeed.
        admins = session.exec(select(User.id).where(User.role == Role.ADMIN).with_for_update()).all()
        if len(admins) <= 1:
            raise Conflict("The last admin cannot stop being an admin; promote someone else first.",
                           code="last_admin")
    previous = user.role
    user.role = role
    session.add(user)
    audit(session, actor=actor, action="user.role_changed", target_type="user", target_id=user.id, ip=ip,
          details={"from": previous.value, "to": role.value, "reason": clean_reason(reason, required=False)})
    session.flush()
    return user
