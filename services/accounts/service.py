"""Accounts: creating and finding users, and the rules their email and password follow."""

from __future__ import annotations

from sqlmodel import Session, select

from dreampixel.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dreampixel.core.models import LedgerReason, Role, Tier, User, UserStatus, utcnow
from dreampixel.core.models.users import normalized_email
from services.accounts.passwords import MAX_PASSWORD_BYTES, hash_password, is_common
from services.credits import service as credits_service
from services.events import service as events

MIN_PASSWORD_LENGTH = 10


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def active_user(session: Session, user_id: str) -> User:
    """The caller's own account: NotFound once it is deleted, Forbidden while it is suspended."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    if user.status is not UserStatus.ACTIVE:
        raise Forbidden("This account is suspended.", code="account_suspended")
    return user


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.",
            errors=[{"field": "password", "message": f"At least {MIN_PASSWORD_LENGTH} characters."}],
        )
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValidationFailed(
            f"Passwords can be at most {MAX_PASSWORD_BYTES} bytes long.",
            errors=[{"field": "password", "message": f"At most {MAX_PASSWORD_BYTES} bytes."}],
        )


def check_new_password(password: str) -> None:
    """Length and byte limits, and not one of the commonest passwords."""
    check_password_rules(password)
    if is_common(password):
        raise ValidationFailed(
            "That password is one of the most common ones; choose another.",
            errors=[{"field": "password", "message": "Too common: it would be among the first ones guessed."}],
        )


def check_email(email: str) -> str:
    try:
        return normalized_email(email)
    except ValueError:
        raise ValidationFailed("That is not an email address.",
                               errors=[{"field": "email", "message": "Enter an email like you@example.com."}]) from None


def create_user(
    session: Session,
    *,
    email: str,
    password: str | None,
    name: str = "",
    role: Role = Role.USER,
    tier: Tier = Tier.FREE,
    credits: int = 0,
    verified: bool = False,
) -> User:
    """Insert a user (with a bcrypt hash of `password`) and grant its starting credits."""
    email = normalize_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed("That is not an email address.", errors=[{"field": "email", "message": "Invalid email."}])
    if get_by_email(session, email) is not None:
        raise Conflict("An account with that email already exists.", code="email_taken")
    if password is not None:
        check_password_rules(password)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        tier=tier,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    if credits:
        credits_service.grant(session, user_id=user.id, amount=credits, reason=LedgerReason.GRANT, reference="signup")
        session.refresh(user)
    events.publish_admin_after_commit(session, {"type": "user.signed_up"})
    return user
