"""People and how they prove who they are: users, OAuth links, sessions, one-time tokens, API keys."""

import re
from datetime import datetime

from pydantic import field_validator
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import (
    CreatedAt,
    JSONType,
    LowercaseString,
    Timestamps,
    UTCDateTime,
    counter_field,
    enum_field,
    id_field,
    reference,
)
from dreampixel.core.models.enums import Role, Tier, TokenPurpose, UserStatus

# Syntax only, on purpose: the confirmation email is the real test, and self-hosted installs
# use addresses such as admin@dreampixel.local that strict validators reject.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 320
NAME_MAX_LENGTH = 100


def normalized_email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.match(value):
        raise ValueError("not an email address")
    return value


# --- users -------------------------------------------------------------------------------------


class UserBase(SQLModel):
    # Stored lowercase by its column type, so case never makes two accounts of one address.
    email: str = Field(max_length=EMAIL_MAX_LENGTH, unique=True, sa_type=LowercaseString(EMAIL_MAX_LENGTH))
    name: str = Field(default="", max_length=NAME_MAX_LENGTH)


class UserCreate(UserBase):
    # The same bounds services.accounts enforces (bcrypt reads at most 72 bytes); the service
    # stays the authority, this lets a form say so before the request is sent.
    password: str = Field(min_length=10, max_length=72)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalized_email(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return value.strip()


class User(UserBase, Timestamps, table=True):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("credit_balance >= 0", name="credit_balance_non_negative"),
        # The admin users list (newest first) and the sign-up counts read this, not the table.
        Index("ix_users_created_at_id", "created_at", "id"),
    )

    id: str = id_field("usr")
    # None for people who only ever signed in with Google or GitHub.
    password_hash: str | None = Field(default=None, max_length=255)
    tier: Tier = enum_field(Tier, Tier.FREE)
    role: Role = enum_field(Role, Role.USER)
    status: UserStatus = enum_field(UserStatus, UserStatus.ACTIVE)
    # The CHECK is the last line of defence: credit debits are conditional UPDATEs.
    credit_balance: int = counter_field()
    email_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_login_count: int = counter_field()
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserPublic(UserBase):
    id: str
    tier: Tier
    role: Role
    status: UserStatus
    credit_balance: int
    email_verified_at: datetime | None
    last_login_at: datetime | None
    created_at: datetime


# --- sign-in records ----------------------------------------------------------------------------


class OAuthAccount(CreatedAt, table=True):
    __tablename__ = "oauth_accounts"
    __table_args__ = (UniqueConstraint("provider", "provider_account_id"),)

    id: str = id_field("oac")
    user_id: str = reference("users.id", ondelete="CASCADE", index=True)
    provider: str = Field(max_length=32)
    provider_account_id: str = Field(max_length=255)
    email: str | None = Field(default=None, sa_type=LowercaseString(EMAIL_MAX_LENGTH))


class AuthSession(CreatedAt, table=True):
    """A signed-in browser. Only a hash of its token is kept, so a leaked table opens nothing."""

    __tablename__ = "auth_sessions"
    # "Active in the last 7 days" on the admin dashboard.
    __table_args__ = (Index("ix_auth_sessions_last_used_at", "last_used_at"),)

    id: str = id_field("ses")
    user_id: str = reference("users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=128, unique=True)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When this browser last proved who it is (password or a fresh OAuth sign-in): sensitive
    # changes need it to be recent (settings.reauth_minutes).
    authenticated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class VerificationToken(CreatedAt, table=True):
    """A one-time link: verify an email, reset a password, or confirm a new address."""

    __tablename__ = "verification_tokens"

    id: str = id_field("vtk")
    user_id: str = reference("users.id", ondelete="CASCADE", index=True)
    purpose: TokenPurpose = enum_field(TokenPurpose, TokenPurpose.VERIFY_EMAIL)
    token_hash: str = Field(max_length=128, unique=True)
    # The address being confirmed, for CHANGE_EMAIL (the user row keeps the old one until then).
    email: str | None = Field(default=None, sa_type=LowercaseString(EMAIL_MAX_LENGTH))
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- API keys -----------------------------------------------------------------------------------


class ApiKeyBase(SQLModel):
    name: str = Field(max_length=NAME_MAX_LENGTH)
    scopes: list[str] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Credits this key may spend per UTC day; None means only the account balance limits it.
    daily_credit_cap: int | None = Field(default=None)


class ApiKey(ApiKeyBase, CreatedAt, table=True):
    __tablename__ = "api_keys"

    id: str = id_field("key")
    user_id: str = reference("users.id", ondelete="CASCADE", index=True)
    # The first characters of the key, shown in lists so people can tell keys apart.
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=128, unique=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyPublic(ApiKeyBase):
    id: str
    prefix: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime
