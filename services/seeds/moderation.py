"""Seed moderation: a moderator or admin approves (publishes) or rejects a submitted seed.

The role check is here, not in the page or route; each decision writes an AuditLog row.
"""

from __future__ import annotations

from sqlmodel import Session

from dreampixel.core.errors import NotFound
from dreampixel.core.models import ModerationStatus, Seed, User, utcnow
from services.accounts.admin import MODERATORS, audit, clean_reason, require_role


def moderate_seed(session: Session, *, actor: User, seed_id: str, approve: bool, reason: str | None = None,
                  ip: str | None = None) -> Seed:
    """MODERATOR or ADMIN: approve (publish) or reject a seed; a rejection needs a reason."""
    require_role(actor, MODERATORS, "moderate seeds")
    seed = session.get(Seed, seed_id)
    if seed is None:
        raise NotFound("No such seed.")
    why = clean_reason(reason, required=not approve)
    now = utcnow()
    seed.moderation_status = ModerationStatus.APPROVED if approve else ModerationStatus.REJECTED
    seed.moderation_reason = why
    seed.moderated_by_id = actor.id
    seed.moderated_at = now
    if approve and seed.published_at is None:
        seed.published_at = now
    session.add(seed)
    audit(session, actor=actor, action="seed.approved" if approve else "seed.rejected", target_type="seed",
          target_id=seed.id, ip=ip, details={"reason": why})
    session.flush()
    return seed
