"""The admin console's verbs: who may enter, what one account holds, and every staff action (audited).

Every function takes the acting user and checks the role itself: a page that hides a button
is not authorization. Non-staff callers are told the console does not exist (404).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from dreampixel.core.errors import NotFound, ValidationFailed
from dreampixel.core.models import Generation, Role, Tier, User, UserStatus, utcnow
from dreampixel.core.settings import settings
from services.accounts import admin as accounts_admin
from services.accounts import deletion, sessions, verification
from services.admin import audit, repository
from services.admin.schemas import AdminGeneration, AdminUser, AdminUserDetail
from services.billing import service as billing
from services.events import service as events
from services.gallery import service as gallery
from services.generation import reaper
from services.generation import service as generation_service

ADMINS = frozenset({Role.ADMIN})
MODERATORS = frozenset({Role.ADMIN, Role.MODERATOR})
CREDIT_ADJUSTMENT_LIMIT = billing.CREDIT_CHANGE_LIMIT
# A queued generation waiting longer than this is shown as stuck (a lost job, no worker running).
QUEUED_TOO_LONG_SECONDS = 300
# The event an account's open pages hear when staff end its sessions, suspend or delete it.
SESSION_ENDED = "session.ended"


class NoSuchPage(NotFound):
    """What a non-staff caller hears about any admin page, route or handler."""

    def __init__(self) -> None:
        super().__init__("No such page.", code="not_found")


def staff(session: Session, *, user_id: str | None, allowed: frozenset[Role] = ADMINS) -> User:
    """The active account `user_id` if it holds one of `allowed`; NoSuchPage otherwise."""
    user = session.get(User, user_id) if user_id else None
    if user is None or user.status is not UserStatus.ACTIVE or user.role not in allowed:
        raise NoSuchPage()
    return user


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def _generation(session: Session, generation_id: str) -> Generation:
    generation = session.get(Generation, generation_id)
    if generation is None:
        raise NotFound("No such generation.")
    return generation


# ---- one account ---------------------------------------------------------------------------------


def user_detail(session: Session, *, actor: User, user_id: str) -> AdminUserDetail:
    staff(session, user_id=actor.id)
    user = _user(session, user_id)
    subscription = repository.subscription_of(session, user_id=user.id)
    return AdminUserDetail(
        user=AdminUser.of(user),
        generations=[AdminGeneration.of(g) for g in repository.recent_generations(session, user_id=user.id)],
        ledger=[{"id": e.id, "at": e.created_at.isoformat(), "delta": e.delta, "reason": e.reason.value,
                 "reference": e.reference or "", "balance_after": e.balance_after}
                for e in repository.recent_ledger(session, user_id=user.id)],
        subscription=None if subscription is None else {
            "tier": subscription.tier.value, "status": subscription.status.value,
            "current_period_end": subscription.current_period_end.isoformat()
            if subscription.current_period_end else None,
            "cancel_at_period_end": subscription.cancel_at_period_end},
        sessions=[{"id": s.id, "ip": s.ip or "", "user_agent": s.user_agent or "", "created_at": s.created_at.isoformat(),
                   "last_used_at": s.last_used_at.isoformat() if s.last_used_at else None}
                  for s in repository.live_sessions(session, user_id=user.id, now=utcnow())],
        api_keys=[{"id": k.id, "name": k.name, "prefix": k.prefix, "revoked": k.revoked_at is not None,
                   "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None}
                  for k in repository.api_keys_of(session, user_id=user.id)],
        audit=audit.search(session, target=user.id, limit=50),
    )


# ---- actions on accounts ---------------------------------------------------------------------------


def set_tier(session: Session, *, actor: User, user_id: str, tier: Tier, reason: str | None = None,
             ip: str | None = None) -> User:
    """ADMIN only: put `user_id` on another tier and grant its allowance for the month, as billing does."""
    staff(session, user_id=actor.id)
    billing.set_tier(session, user_id=_user(session, user_id).id, tier=tier, actor=actor.id, grant=True,
                     reason=accounts_admin.clean_reason(reason, required=False), ip=ip)
    return _user(session, user_id)


def adjust_credits(session: Session, *, actor: User, user_id: str, amount: int, reason: str,
                   ip: str | None = None) -> User:
    """ADMIN only: grant (positive) or remove (negative) credits with billing's rules: one ledger row,
    a removal past the balance refused, an audit row with the reason and the balance before and after."""
    staff(session, user_id=actor.id)
    billing.grant_credits(session, user_id=_user(session, user_id).id, amount=amount, reason=reason, actor=actor.id,
                          ip=ip)
    user = _user(session, user_id)
    session.refresh(user, ["credit_balance"])
    return user


def set_role(session: Session, *, actor: User, user_id: str, role: Role, reason: str | None = None,
             ip: str | None = None) -> User:
    staff(session, user_id=actor.id)
    return accounts_admin.set_role(session, actor=actor, user_id=user_id, role=role, reason=reason, ip=ip)


def _sessions_ended(session: Session, user_id: str, why: str) -> None:
    """Tell the account's open pages, after the commit, that their session is over (they go to sign-in)."""
    events.publish_after_commit(session, user_id, {"type": SESSION_ENDED, "reason": why})


def suspend(session: Session, *, actor: User, user_id: str, reason: str, ip: str | None = None) -> User:
    staff(session, user_id=actor.id)
    user = accounts_admin.suspend(session, actor=actor, user_id=user_id, reason=reason, ip=ip)
    _sessions_ended(session, user.id, "suspended")
    return user


def unsuspend(session: Session, *, actor: User, user_id: str, reason: str | None = None,
              ip: str | None = None) -> User:
    staff(session, user_id=actor.id)
    return accounts_admin.unsuspend(session, actor=actor, user_id=user_id, reason=reason, ip=ip)


def delete_user(session: Session, *, actor: User, user_id: str, reason: str, ip: str | None = None) -> list[str]:
    """ADMIN only: the deletion a user can do themselves; returns the storage keys to remove after commit."""
    staff(session, user_id=actor.id)
    why = accounts_admin.clean_reason(reason, required=True)
    if user_id == actor.id:
        raise ValidationFailed("Delete your own account from the account page.")
    user = _user(session, user_id)
    email = user.email
    audit.record(session, actor=actor, action="user.deleted", target_type="user", target_id=user.id, reason=why,
                 before={"email": email, "role": user.role.value, "tier": user.tier.value}, after=None, ip=ip)
    _sessions_ended(session, user_id, "deleted")
    # The same erasure the user's own deletion ends with, without asking the owner to confirm.
    return deletion.erase_account(session, user_id=user_id)


def resend_verification(session: Session, *, actor: User, user_id: str, ip: str | None = None) -> bool:
    """ADMIN only: send the confirmation link again; False when the address is already confirmed."""
    staff(session, user_id=actor.id)
    user = _user(session, user_id)
    sent = verification.resend_verification(session, user_id=user.id)
    audit.record(session, actor=actor, action="user.verification_resent", target_type="user", target_id=user.id,
                 after="sent" if sent else "already verified", ip=ip)
    return sent


def end_sessions(session: Session, *, actor: User, user_id: str, ip: str | None = None) -> int:
    """ADMIN only: sign `user_id` out of every browser; returns how many sessions ended."""
    staff(session, user_id=actor.id)
    user = _user(session, user_id)
    ended = sessions.revoke_all(session, user_id=user.id)
    audit.record(session, actor=actor, action="user.sessions_ended", target_type="user", target_id=user.id,
                 before=ended, after=0, ip=ip)
    _sessions_ended(session, user.id, "ended")
    return ended


# ---- actions on generations --------------------------------------------------------------------------


def generation_detail(session: Session, *, actor: User, generation_id: str) -> AdminGeneration:
    staff(session, user_id=actor.id)
    return AdminGeneration.of(_generation(session, generation_id))


def retry_generation(session: Session, *, actor: User, generation_id: str, ip: str | None = None) -> Generation:
    """ADMIN only: submit the same input again for its owner (their credits, their limits)."""
    staff(session, user_id=actor.id)
    original = _generation(session, generation_id)
    owner = _user(session, original.user_id)
    retried = generation_service.retry(session, user=owner, generation_id=original.id)
    audit.record(session, actor=actor, action="generation.retried", target_type="generation", target_id=original.id,
                 before=original.status.value, after=retried.id, ip=ip)
    return retried


def cancel_generation(session: Session, *, actor: User, generation_id: str, ip: str | None = None) -> Generation:
    """ADMIN only: end a queued or processing generation; its held credits go back to the owner."""
    staff(session, user_id=actor.id)
    generation = _generation(session, generation_id)
    before = generation.status.value
    canceled = generation_service.cancel(session, user_id=generation.user_id, generation_id=generation.id)
    audit.record(session, actor=actor, action="generation.canceled", target_type="generation",
                 target_id=generation.id, before=before, after=canceled.status.value, ip=ip)
    return canceled


def delete_generation(session: Session, *, actor: User, generation_id: str, reason: str | None = None,
                      ip: str | None = None) -> list[str]:
    """ADMIN only: delete a generation and its images; returns the storage keys to remove after commit."""
    staff(session, user_id=actor.id)
    generation = _generation(session, generation_id)
    before = {"status": generation.status.value, "user_id": generation.user_id}
    audit.record(session, actor=actor, action="generation.deleted", target_type="generation", target_id=generation.id,
                 reason=accounts_admin.clean_reason(reason, required=False), before=before, after=None, ip=ip)
    return gallery.delete_generations(session, user_id=generation.user_id, generation_ids=[generation.id])


def stuck(session: Session, *, actor: User) -> list[AdminGeneration]:
    """Generations processing past their deadline or heartbeat, and those queued too long."""
    staff(session, user_id=actor.id)
    now = utcnow()
    stale = now - timedelta(seconds=settings.generation_provider_timeout_seconds + reaper.GRACE_SECONDS)
    rows = repository.stuck_generations(session, now=now, stale_before=stale,
                                        queued_before=now - timedelta(seconds=QUEUED_TOO_LONG_SECONDS))
    return [AdminGeneration.of(g) for g in rows]


def reap(session: Session, *, actor: User, ip: str | None = None) -> dict[str, int]:
    """ADMIN only: run the reaper now (what the worker does every minute)."""
    staff(session, user_id=actor.id)
    counts = reaper.reap(session)
    audit.record(session, actor=actor, action="generation.reaped", target_type="system", target_id="reaper",
                 after=counts, ip=ip)
    return counts
