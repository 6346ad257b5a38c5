"""Signing up, in, and recovering access: the /signup, /login, /verify, /forgot and /reset pages.

Field errors are per field; a refused sign-in never says which part was wrong. Signing in
ends with a full page load of /api/auth/session?ticket=..., where the httpOnly cookie is set;
the page first stores the ticket's binding in a minute-long cookie scoped to that path, so
the ticket works in this browser only.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote, urlencode

import reflex as rx
from reflex.event import EventSpec

from dreampixel.core.errors import DreamPixelError, ValidationFailed
from services.accounts.navigation import safe_next
from services.accounts.recovery import RESET_REQUESTED_MESSAGE
from services.accounts.sessions import TICKET_BINDING_COOKIE, TICKET_PATH, TICKET_SECONDS
from services.accounts.signup import SIGNED_UP_MESSAGE
from services.accounts.verification import VerifyOutcome
from states.edge import accounts
from states.session import current_viewer

_FIELDS = ("name", "email", "password", "token")
# Where a confirmed email lands, signed in: Generate, greeting the new account.
WELCOME_PATH = "/generate?welcome=1"


class AuthState(rx.State):
    name_error: rx.Field[str] = rx.field("")
    email_error: rx.Field[str] = rx.field("")
    password_error: rx.Field[str] = rx.field("")
    form_error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")
    loading: rx.Field[bool] = rx.field(False)
    # /signup and /forgot swap the form for a "check your inbox" message once sent.
    done: rx.Field[bool] = rx.field(False)
    # /verify: "checking", "verified", "email_changed", "email_restored", "invalid" or "email_taken".
    verify_status: rx.Field[str] = rx.field("checking")
    resend_message: rx.Field[str] = rx.field("")
    resend_sent: rx.Field[bool] = rx.field(False)
    user_email_shown: rx.Field[str] = rx.field("")
    # Where to go after signing in, already checked to be a same-site path.
    next_path: rx.Field[str] = rx.field("/generate")
    next_param: rx.Field[str] = rx.field("%2Fgenerate")  # next_path, encoded for a query string
    # /login?error=oauth&reason=...&provider=...: a refused Google or GitHub sign-in.
    oauth_reason: rx.Field[str] = rx.field("")
    oauth_provider: rx.Field[str] = rx.field("")

    _token: str = ""

    def _clear(self) -> None:
        self.name_error = self.email_error = self.password_error = self.form_error = ""
        self.notice = ""

    def _show_errors(self, error: DreamPixelError) -> None:
        by_field = {e.get("field"): e.get("message", "") for e in error.errors}
        self.name_error = by_field.get("name", "")
        self.email_error = by_field.get("email", "")
        self.password_error = by_field.get("password", "")
        shown = any(by_field.get(f) for f in ("name", "email", "password"))
        self.form_error = "" if shown else error.message

    def _next(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.event
    async def load_form(self) -> EventSpec | None:
        """on_load of /login, /signup, /forgot: a fresh form; signed-in visitors go on to `next`."""
        self._clear()
        self.loading = self.done = False
        query = self.router.url.query_parameters
        self.next_path = self._next()
        self.next_param = quote(self.next_path, safe="")
        self.oauth_reason = query.get("reason", "unknown") if query.get("error") == "oauth" else ""
        self.oauth_provider = query.get("provider", "")
        if query.get("expired"):
            self.form_error = "That sign-in took too long. Please sign in again."
        if query.get("ended"):
            self.form_error = "Your session has ended. Sign in again to continue."
        if self.router.url.path in ("/login", "/signup") and await current_viewer(self) is not None:
            return rx.redirect(self._next())
        return None

    @rx.event
    async def sign_in(self, form: dict[str, Any]):
        self._clear()
        email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
        self.email_error = "" if email else "Enter your email."
        self.password_error = "" if password else "Enter your password."
        if not email or not password:
            return
        self.loading = True
        yield
        result = await asyncio.to_thread(accounts.sign_in, email=email, password=password,
                                         address=self.router.session.client_ip or None)
        if not result.ok:
            self.loading = False
            self.form_error = result.error or "Email or password is incorrect."
            return
        # Still loading: the page is about to be replaced by the redirect.
        yield _redeem_in_this_browser(str(result.ticket), str(result.binding), self._next())

    @rx.event
    async def sign_up(self, form: dict[str, Any]):
        self._clear()
        self.loading = True
        yield
        try:
            result = await asyncio.to_thread(accounts.sign_up, email=str(form.get("email", "")),
                                             password=str(form.get("password", "")), name=str(form.get("name", "")),
                                             client=self.router.session.client_ip or None)
        except DreamPixelError as error:
            self._show_errors(error)
        else:
            if result.ok:
                # Signed in at once (generating waits for the confirmed email); still loading while
                # the page is replaced.
                yield _redeem_in_this_browser(str(result.ticket), str(result.binding), self._next())
                return
            self.done = True
            self.notice = SIGNED_UP_MESSAGE
        self.loading = False

    @rx.event
    async def request_reset(self, form: dict[str, Any]):
        self._clear()
        email = str(form.get("email", "")).strip()
        if not email:
            self.email_error = "Enter your email."
            return
        self.loading = True
        yield
        try:
            await asyncio.to_thread(accounts.request_reset, email, client=self.router.session.client_ip or None)
        except DreamPixelError as error:
            self.loading = False
            self.form_error = error.message
            return
        self.loading = False
        self.done = True
        self.notice = RESET_REQUESTED_MESSAGE

    @rx.event
    def load_reset(self) -> None:
        self._clear()
        self.loading = self.done = False
        self._token = self.router.url.query_parameters.get("token", "")
        if not self._token:
            self.form_error = "This page needs the link from your reset email."

    @rx.event
    async def reset_password(self, form: dict[str, Any]):
        self._clear()
        password, again = str(form.get("password", "")), str(form.get("confirm", ""))
        if password != again:
            self.password_error = "The two passwords differ."  # noqa: S105 (a message, not a password)
            return
        self.loading = True
        yield
        try:
            ended = await asyncio.to_thread(accounts.reset_password, token=self._token, new_password=password)
        except ValidationFailed as error:
            self._show_errors(error)
        else:
            self.done = True
            keys = (f" Your {ended.api_keys} API key{'s were' if ended.api_keys != 1 else ' was'} revoked too: "
                    "create new ones from your account page." if ended.api_keys else "")
            self.notice = f"Your password is set and every session has ended.{keys} Sign in with your new password now."
        self.loading = False

    @rx.event
    async def load_verify(self) -> EventSpec | None:
        """on_load of /verify: use the link's token once."""
        self.resend_message = ""
        self.resend_sent = False
        self.verify_status = "checking"
        self._token = self.router.url.query_parameters.get("token", "")
        viewer = await current_viewer(self)
        result = await asyncio.to_thread(accounts.verify, self._token,
                                         keep_session_id=viewer.session_id if viewer else None)
        if result.outcome is VerifyOutcome.VERIFIED and viewer is not None and viewer.user_id == result.user_id:
            # The browser that signed up: straight to Generate, which greets the new account.
            return rx.redirect(WELCOME_PATH, replace=True)
        self.verify_status = result.outcome.value
        if result.outcome in (VerifyOutcome.VERIFIED, VerifyOutcome.EMAIL_CHANGED, VerifyOutcome.EMAIL_RESTORED):
            self.user_email_shown = result.email or ""
        return None

    @rx.event
    async def resend_verification(self):
        self.loading = True
        yield
        try:
            sent = await asyncio.to_thread(accounts.resend_for_token, self._token,
                                           client=self.router.session.client_ip or None)
        except DreamPixelError as error:
            self.resend_message = error.message
        else:
            self.resend_sent = sent
            self.resend_message = ("We sent a new link. It works for 24 hours." if sent else
                                   "This link cannot be renewed here. Sign in to ask for a new one from your account.")
        self.loading = False


def _redeem_in_this_browser(ticket: str, binding: str, next_path: str) -> EventSpec:
    """Store the ticket's binding as a cookie only /api/auth/session receives, then go there."""
    cookie = f"{TICKET_BINDING_COOKIE}={binding}; Path={TICKET_PATH}; Max-Age={TICKET_SECONDS}; SameSite=Strict"
    url = "/api/auth/session?" + urlencode({"ticket": ticket, "next": next_path})
    return rx.call_script(
        f"document.cookie = {json.dumps(cookie)} + (window.location.protocol === 'https:' ? '; Secure' : '');"
        f" window.location.assign({json.dumps(url)})"
    )
