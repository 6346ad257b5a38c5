"""Seed moderation: the queue, and what a moderator or admin decides about a seed (approve, reject
with a reason the creator sees, feature or unfeature, recategorise).

The role check is here, not in the page or route; each decision writes an AuditLog row with the
seed's state before and after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, select

from dreampixel.core.errors import Conflict, NotFound, ValidationFailed
from dreampixel.core.models import ModerationStatus, Seed, SeedCategory, User, utcnow
from services.accounts.admin import MODERATORS, audit, clean_reason, require_role
from services.moderation.schemas import QueueExample, SeedQueueEntry
from services.seeds.schemas import examples as seed_examples

QUEUE_SIZE = 50


def _seed(session: Session, seed_id: str) -> Seed:
    seed = session.get(Seed, seed_id)
    if seed is None:
        raise NotFound("No such seed.")
    return seed


def _state(seed: Seed) -> dict[str, Any]:
    return {"status": seed.moderation_status.value, "featured": seed.featured, "category": seed.category.value}


def _category(value: SeedCategory | str) -> SeedCategory:
    try:
        return SeedCategory(str(value).strip().upper())
    except ValueError:
        names = ", ".join(c.value for c in SeedCategory)
        raise ValidationFailed(f"Unknown category; one of {names}.",
                               errors=[{"field": "category", "message": f"One of {names}."}]) from None


def _status(value: str) -> ModerationStatus:
    try:
        return ModerationStatus(value.strip().upper())
    except ValueError:
        raise ValidationFailed("Unknown status; PENDING, APPROVED or REJECTED.",
                               errors=[{"field": "status", "message": "PENDING, APPROVED or REJECTED."}]) from None


def entry(session: Session, seed: Seed) -> SeedQueueEntry:
    """One seed as the queue shows it (after a decision, for the API's answer)."""
    creator = session.get(User, seed.creator_id) if seed.creator_id else None
    shown = seed_examples(session, [seed])[seed.id]
    return SeedQueueEntry.of(seed, creator.email if creator else None,
                             [QueueExample(url=e.url, thumbnail_url=e.thumbnail_url) for e in shown])


def queue(session: Session, *, actor: User, status: str = "", category: str = "", limit: int = QUEUE_SIZE,
          offset: int = 0) -> list[SeedQueueEntry]:
    """Seeds for the moderation page: pending first (oldest first: they waited longest), then the
    rest, most recently decided first; `status` and `category` narrow it."""
    require_role(actor, MODERATORS, "moderate seeds")
    query = select(Seed, User.email).join(User, col(User.id) == col(Seed.creator_id), isouter=True)
    if status.strip():
        query = query.where(col(Seed.moderation_status) == _status(status))
    if category.strip():
        query = query.where(col(Seed.category) == _category(category))
    pending_first = case((col(Seed.moderation_status) == ModerationStatus.PENDING, 0), else_=1)
    pending_age = case((col(Seed.moderation_status) == ModerationStatus.PENDING, col(Seed.created_at)), else_=None)
    query = query.order_by(pending_first, pending_age, col(Seed.moderated_at).desc(), col(Seed.created_at).desc())
    rows = session.exec(query.offset(offset).limit(limit)).all()
    shown = seed_examples(session, [seed for seed, _ in rows])
    return [SeedQueueEntry.of(seed, email, [QueueExample(url=e.url, thumbnail_url=e.thumbnail_url)
                                            for e in shown[seed.id]])
            for seed, email in rows]


def moderate_seed(session: Session, *, actor: User, seed_id: str, approve: bool, reason: str | None = None,
                  ip: str | None = None) -> Seed:
    """MODERATOR or ADMIN: approve (publish) or reject a seed; a rejection needs a reason and unfeatures it."""
    require_role(actor, MODERATORS, "moderate seeds")
    seed = _seed(session, seed_id)
    why = clean_reason(reason, required=not approve)
    before = _state(seed)
    now = utcnow()
    seed.moderation_status = ModerationStatus.APPROVED if approve else ModerationStatus.REJECTED
    seed.moderation_reason = why
    seed.moderated_by_id = actor.id
    seed.moderated_at = now
    if approve and seed.published_at is None:
        seed.published_at = now
    if not approve:
        seed.featured = False
    session.add(seed)
    audit(session, actor=actor, action="seed.approved" if approve else "seed.rejected", target_type="seed",
          target_id=seed.id, ip=ip, details={"reason": why, "before": before, "after": _state(seed)})
    session.flush()
    return seed


def set_featured(session: Session, *, actor: User, seed_id: str, featured: bool, reason: str | None = None,
                 ip: str | None = None) -> Seed:
    """MODERATOR or ADMIN: put an approved seed in the marketplace's featured row, or take it out."""
    require_role(actor, MODERATORS, "feature seeds")
    seed = _seed(session, seed_id)
    if featured and seed.moderation_status is not ModerationStatus.APPROVED:
        raise Conflict("Approve the seed before featuring it: only approved seeds are in the marketplace.",
                       code="seed_not_approved")
    if seed.featured == featured:
        return seed
    before = _state(seed)
    seed.featured = featured
    session.add(seed)
    audit(session, actor=actor, action="seed.featured" if featured else "seed.unfeatured", target_type="seed",
          target_id=seed.id, ip=ip,
          details={"reason": clean_reason(reason, required=False), "before": before, "after": _state(seed)})
    session.flush()
    return seed


def recategorise(session: Session, *, actor: User, seed_id: str, category: SeedCategory | str,
                 reason: str | None = None, ip: str | None = None) -> Seed:
    """MODERATOR or ADMIN: move a seed to another marketplace category."""
    require_role(actor, MODERATORS, "recategorise seeds")
    seed = _seed(session, seed_id)
    new = _category(category)
    if seed.category is new:
        return seed
    before = _state(seed)
    seed.category = new
    session.add(seed)
    audit(session, actor=actor, action="seed.recategorised", target_type="seed", target_id=seed.id, ip=ip,
          details={"reason": clean_reason(reason, required=False), "before": before, "after": _state(seed)})
    session.flush()
    return seed
