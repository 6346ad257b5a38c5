"""Signing in with Google or GitHub: provider settings, the identity they vouch for, and
finding, linking or creating the Dream Pixel user behind it.

The HTTP dance itself (authorization code with PKCE, state, nonce) happens at the edge in
dreampixel.api.oauth; this module only sees the identity once the provider has answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.logging import get_logger
from dreampixel.core.models import OAuthAccount, User, UserStatus, utcnow
from dreampixel.core.models.users import NAME_MAX_LENGTH
from dreampixel.core.settings import Settings, settings
from services.accounts.service import create_user, get_by_email, normalize_email
from services.billing import service as billing

log = get_logger(__name__)

GOOGLE = "google"
GITHUB = "github"


@dataclass(frozen=True)
class ProviderConfig:
    """Everything the OAuth client needs for one provider (frozen, so clients can be cached on it)."""

    name: str
    label: str
    client_id: str
    client_secret: str
    scope: str
    # OpenID Connect providers publish their endpoints in a discovery document...
    server_metadata_url: str | None = None
    # ...plain OAuth 2 providers are configured endpoint by endpoint.
    authorize_url: str | None = None
    access_token_url: str | None = None
    api_base_url: str | None = None

    @property
    def is_openid(self) -> bool:
        return self.server_metadata_url is not None


def provider_config(name: str, config: Settings = settings) -> ProviderConfig | None:
    """The configuration of provider `name`, or None when it is unknown or not configured."""
    if name == GOOGLE and config.google_oauth_enabled:
        return ProviderConfig(
            name=GOOGLE,
            label="Google",
            client_id=config.google_client_id,
            client_secret=config.google_client_secret.get_secret_value(),
            scope="openid email profile",
            server_metadata_url=config.google_metadata_url,
        )
    if name == GITHUB and config.github_oauth_enabled:
        base, api = config.github_base_url.rstrip("/"), config.github_api_url.rstrip("/")
        return ProviderConfig(
            name=GITHUB,
            label="GitHub",
            client_id=config.github_client_id,
            client_secret=config.github_client_secret.get_secret_value(),
            scope="read:user user:email",
            authorize_url=f"{base}/login/oauth/authorize",
            access_token_url=f"{base}/login/oauth/access_token",
            api_base_url=f"{api}/",
        )
    return None


def configured_providers(config: Settings = settings) -> list[str]:
    return [name for name in (GOOGLE, GITHUB) if provider_config(name, config) is not None]


def callback_url(provider: str, config: Settings = settings) -> str:
    return f"{config.base_url}/api/auth/oauth/{provider}/callback"


# --- the identity a provider vouches for ------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    provider: str
    account_id: str
    email: str | None
    email_verified: bool
    name: str


def _truthy(value: Any) -> bool:
    # Some OpenID providers send email_verified as the string "true".
    return value is True or (isinstance(value, str) and value.lower() == "true")


def google_identity(claims: Mapping[str, Any]) -> Identity:
    """The identity in Google's validated ID token claims (or userinfo)."""
    sub = str(claims.get("sub") or "")
    if not sub:
        raise OAuthRefused("the ID token has no subject", reason="no_subject")
    email = claims.get("email")
    return Identity(
        provider=GOOGLE,
        account_id=sub,
        email=normalize_email(email) if email else None,
        email_verified=bool(email) and _truthy(claims.get("email_verified")),
        name=str(claims.get("name") or "").strip()[:NAME_MAX_LENGTH],
    )


def github_identity(user: Mapping[str, Any], emails: Sequence[Mapping[str, Any]]) -> Identity:
    """The identity in GitHub's /user and /user/emails answers: the primary address, verified or not."""
    account_id = str(user.get("id") or "")
    if not account_id:
        raise OAuthRefused("GitHub's user has no id", reason="no_subject")
    primary = next((e for e in emails if e.get("primary")), None)
    email: str | None = primary.get("email") if primary else user.get("email")
    verified = bool(primary and primary.get("verified") is True)
    return Identity(
        provider=GITHUB,
        account_id=account_id,
        email=normalize_email(email) if email else None,
        email_verified=verified,
        name=str(user.get("name") or user.get("login") or "").strip()[:NAME_MAX_LENGTH],
    )


# --- from identity to user ---------------------------------------------------------------------


class OAuthRefused(DreamPixelError):
    """Sign-in through a provider was refused; `reason` is a stable code the login page explains."""

    status_code = 403
    code = "oauth_refused"
    title = "Sign-in refused"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)
        self.reason = reason


def linked_accounts(session: Session, user_id: str) -> list[OAuthAccount]:
    """The Google and GitHub identities that can sign in to this account."""
    return list(session.exec(select(OAuthAccount).where(OAuthAccount.user_id == user_id)).all())


def find_link(session: Session, *, provider: str, account_id: str) -> OAuthAccount | None:
    return session.exec(
        select(OAuthAccount).where(OAuthAccount.provider == provider, OAuthAccount.provider_account_id == account_id)
    ).first()


def sign_in(session: Session, identity: Identity) -> User:
    """The user `identity` belongs to: by its provider link, else by a verified email, else a new one."""
    link = find_link(session, provider=identity.provider, account_id=identity.account_id)
    if link is not None:
        user = session.get(User, link.user_id)
        if user is None:  # pragma: no cover - the link cascades with its user
            raise OAuthRefused("the linked account no longer exists", reason="no_account")
        _refuse_suspended(user)
    else:
        user = _link_or_create(session, identity)
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return user


def _link_or_create(session: Session, identity: Identity) -> User:
    if not identity.email:
        raise OAuthRefused(f"{identity.provider} did not share an email address", reason="no_email")
    user = get_by_email(session, identity.email)
    if user is not None:
        # Whoever controls an unverified address at the provider is not necessarily its owner here.
        if not identity.email_verified:
            raise OAuthRefused("the provider has not verified this email address", reason="unverified_email")
        _refuse_suspended(user)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
        log.info("oauth.linked", provider=identity.provider, user_id=user.id)
    else:
        user = create_user(session, email=identity.email, password=None, name=identity.name,
                           verified=identity.email_verified)
        log.info("oauth.user_created", provider=identity.provider, user_id=user.id)
    if user.email_verified_at is not None:  # the provider vouched for the address: the first image works now
        billing.grant_free_allowance(session, user_id=user.id)
    session.add(OAuthAccount(user_id=user.id, provider=identity.provider,
                             provider_account_id=identity.account_id, email=identity.email))
    return user


def _refuse_suspended(user: User) -> None:
    if user.status is UserStatus.SUSPENDED:
        raise OAuthRefused("this account is suspended", reason="suspended")
