"""The account pages' edge: sign-up, sign-in, verification, recovery, profile, keys, deletion.

Each function opens its own unit of work (see states/edge/__init__.py), commits once and
returns small frozen dataclasses; a state runs it with `asyncio.to_thread`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from dreampixel.core.db import uow
from dreampixel.core.models import User
from services.accounts import (
    credentials,
    deletion,
    devices,
    login,
    oauth,
    profile,
    reauth,
    recovery,
    sessions,
    signup,
    verification,
)
from services.accounts.clock import now
from services.api_keys import service as api_keys


@dataclass(frozen=True)
class Viewer:
    """Who a browser is signed in as: what pages show, and the ids handlers act on."""

    user_id: str
    session_id: str
    name: str
    email: str
    role: str
    verified: bool


@dataclass(frozen=True)
class SessionRow:
    id: str
    device: str
    ip: str
    last_used: str
    current: bool


@dataclass(frozen=True)
class KeyRow:
    id: str
    name: str
    prefix: str
    scopes: str
    created: str
    last_used: str
    expires: str


@dataclass(frozen=True)
class ConnectedRow:
    id: str
    provider: str  # "google", as in /api/auth/oauth/{provider}/start
    label: str  # "Google (ada@example.com)"


@dataclass(frozen=True)
class AccountView:
    sessions: list[SessionRow]
    connected: list[ConnectedRow]
    keys: list[KeyRow]
    has_password: bool
    # Whether this browser proved who it is recently enough for sensitive changes.
    recently_authenticated: bool


@dataclass(frozen=True)
class SignInOutcome:
    """A ticket and the binding the browser keeps as a cookie on success; otherwise the form's message."""

    ticket: str | None = None
    binding: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.ticket is not None and self.binding is not None


@dataclass(frozen=True)
class AccessEnded:
    """What a password change or reset ended: other sessions and API keys."""

    sessions: int
    api_keys: int


# /forgot answers after at least this long, so a known email (a token written, a mail queued)
# takes as long as an unknown one.
FORGOT_ANSWER_SECONDS = 0.5


@dataclass(frozen=True)
class OAuthProvider:
    name: str  # "google", as in /api/auth/oauth/{name}/start
    label: str  # "Google"


def oauth_providers() -> list[OAuthProvider]:
    """The Google and GitHub sign-ins this installation offers (those configured), in order."""
    configured = (oauth.provider_config(name) for name in (oauth.GOOGLE, oauth.GITHUB))
    return [OAuthProvider(name=config.name, label=config.label) for config in configured if config is not None]


def token_from_cookie_header(header: str) -> str | None:
    try:
        jar = SimpleCookie(header or "")
    except CookieError:
        return None
    morsel = jar.get(sessions.SESSION_COOKIE)
    return morsel.value if morsel else None


def _viewer(auth_session_id: str, user: User) -> Viewer:
    return Viewer(user_id=user.id, session_id=auth_session_id, name=user.name, email=user.email,
                  role=user.role.value, verified=user.email_verified_at is not None)


def current_viewer(cookie_header: str) -> Viewer | None:
    """The signed-in user behind a request's Cookie header; None if signed out, revoked or suspended."""
    token = token_from_cookie_header(cookie_header)
    if not token:
        return None
    with uow() as session:
        found = sessions.resolve(session, token)
        return _viewer(found[0].id, found[1]) if found else None


def sign_in(*, email: str, password: str, address: str | None) -> SignInOutcome:
    """Check the credentials; a ticket comes bound to the browser that asked (the binding)."""
    with uow() as session:
        result = login.sign_in(session, email=email, password=password, address=address)
        if not result.ok or result.ticket is None:
            return SignInOutcome(error=result.error)
        return SignInOutcome(ticket=result.ticket, binding=sessions.bind_ticket(session, result.ticket))


def sign_up(*, email: str, password: str, name: str, client: str | None = None) -> SignInOutcome:
    """Raises ValidationFailed with per-field errors. A new account comes signed in (a bound ticket,
    as after a sign-in); a taken email gets no ticket and its owner is told someone tried."""
    with uow() as session:
        user = signup.sign_up(session, email=email, password=password, name=name, client=client)
        if user is None:
            return SignInOutcome()
        ticket = sessions.issue_ticket(session, user_id=user.id)
        return SignInOutcome(ticket=ticket, binding=sessions.bind_ticket(session, ticket))


def verify(token: str, *, keep_session_id: str | None = None) -> verification.VerifyResult:
    with uow() as session:
        return verification.verify(session, token, keep_session_id=keep_session_id)


def resend_for_token(token: str, *, client: str | None = None) -> bool:
    with uow() as session:
        return verification.resend_for_token(session, token, client=client)


def resend_verification(viewer: Viewer, *, client: str | None = None) -> bool:
    with uow() as session:
        return verification.resend_verification(session, user_id=viewer.user_id, client=client)


def request_reset(email: str, *, client: str | None = None) -> None:
    """Queue a reset link when the email has an account, taking the same time either way."""
    started = time.monotonic()
    try:
        with uow() as session:
            recovery.request_reset(session, email=email, client=client)
    finally:
        time.sleep(max(0.0, FORGOT_ANSWER_SECONDS - (time.monotonic() - started)))


def reset_password(*, token: str, new_password: str) -> AccessEnded:
    with uow() as session:
        ended = recovery.reset_password(session, token=token, new_password=new_password)
        return AccessEnded(sessions=ended.sessions, api_keys=ended.api_keys)


def sign_out(viewer: Viewer) -> None:
    with uow() as session:
        sessions.revoke(session, user_id=viewer.user_id, session_id=viewer.session_id)


def sign_out_everywhere(viewer: Viewer) -> AccessEnded:
    """End every session, this one included, and revoke every API key."""
    with uow() as session:
        ended = credentials.end_access(session, user_id=viewer.user_id, reason="signed_out_everywhere")
        return AccessEnded(sessions=ended.sessions, api_keys=ended.api_keys)


def confirm_password(viewer: Viewer, *, password: str) -> None:
    """Type the password again: this browser counts as recently authenticated."""
    with uow() as session:
        reauth.confirm_password(session, user_id=viewer.user_id, session_id=viewer.session_id, password=password)


def is_recent(viewer: Viewer) -> bool:
    """Whether this browser signed in (or confirmed it is them) recently enough for sensitive changes."""
    with uow() as session:
        return reauth.is_recent(sessions.get_live(session, user_id=viewer.user_id, session_id=viewer.session_id))


def unlink_account(viewer: Viewer, *, link_id: str) -> bool:
    with uow() as session:
        return oauth.unlink(session, user_id=viewer.user_id, link_id=link_id)


def revoke_session(viewer: Viewer, *, session_id: str) -> bool:
    with uow() as session:
        return sessions.revoke(session, user_id=viewer.user_id, session_id=session_id)


def update_name(viewer: Viewer, *, name: str) -> str:
    with uow() as session:
        return profile.update_name(session, user_id=viewer.user_id, name=name).name


def request_email_change(viewer: Viewer, *, new_email: str, client: str | None = None) -> None:
    with uow() as session:
        verification.request_email_change(session, user_id=viewer.user_id, session_id=viewer.session_id,
                                          new_email=new_email, client=client)


def change_password(viewer: Viewer, *, current_password: str, new_password: str) -> AccessEnded:
    with uow() as session:
        ended = profile.change_password(session, user_id=viewer.user_id, current_password=current_password,
                                        new_password=new_password, keep_session_id=viewer.session_id)
        return AccessEnded(sessions=ended.sessions, api_keys=ended.api_keys)


def create_api_key(viewer: Viewer, *, name: str, scopes: list[str], expires_in_days: int | None,
                   daily_credit_cap: int | None) -> str:
    """Returns the key's plaintext: the caller shows it once and forgets it. Needs recent authentication."""
    expires_at = now() + timedelta(days=expires_in_days) if expires_in_days else None
    with uow() as session:
        reauth.require_recent(session, user_id=viewer.user_id, session_id=viewer.session_id)
        _, plaintext = api_keys.create_key(session, user_id=viewer.user_id, name=name, scopes=scopes,
                                           expires_at=expires_at, daily_credit_cap=daily_credit_cap)
        return plaintext


def revoke_api_key(viewer: Viewer, *, key_id: str) -> bool:
    with uow() as session:
        return api_keys.revoke_key(session, user_id=viewer.user_id, key_id=key_id)


def delete_account_rows(viewer: Viewer, *, password: str, typed_email: str) -> list[str]:
    """Delete the account; returns the storage keys whose files the caller removes next."""
    with uow() as session:
        return deletion.delete_account(session, user_id=viewer.user_id, session_id=viewer.session_id,
                                       password=password, typed_email=typed_email)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def account_view(viewer: Viewer) -> AccountView:
    """Everything the account page lists, as display strings."""
    with uow() as session:
        user = session.get(User, viewer.user_id)
        rows = [
            SessionRow(id=row.id, device=devices.device_name(row.user_agent), ip=row.ip or "",
                       last_used=_when(row.last_used_at), current=row.id == viewer.session_id)
            for row in sessions.list_for_user(session, viewer.user_id)
        ]
        connected = [ConnectedRow(id=account.id, provider=account.provider,
                                  label=_provider_label(account.provider) + (f" ({account.email})" if account.email else ""))
                     for account in oauth.linked_accounts(session, viewer.user_id)]
        keys = [
            KeyRow(id=key.id, name=key.name, prefix=key.prefix, scopes=", ".join(key.scopes),
                   created=_when(key.created_at), last_used=_when(key.last_used_at),
                   expires=_when(key.expires_at))
            for key in api_keys.list_keys(session, user_id=viewer.user_id)
        ]
        recent = reauth.is_recent(sessions.get_live(session, user_id=viewer.user_id, session_id=viewer.session_id))
        return AccountView(sessions=rows, connected=connected, keys=keys,
                           has_password=bool(user and user.password_hash), recently_authenticated=recent)


def _provider_label(provider: str) -> str:
    return {oauth.GOOGLE: "Google", oauth.GITHUB: "GitHub"}.get(provider, provider.capitalize())
