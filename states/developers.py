"""/developers: public, but a signed-in visitor sees the prefix of their own newest API key and can
create one in place.

Creating a key goes through the same edge call as the account page (`accounts.create_api_key`),
so the same rules hold: a confirmed email (otherwise the page says so and offers to resend the
link) and a recent sign-in (otherwise the page asks for the password in a dialog, then carries
on with the form it was given). The plaintext of a new key is the only secret that reaches the
browser: shown once, cleared when dismissed or when the visitor leaves.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from dreampixel.core.errors import DreamPixelError
from services.accounts.reauth import ReauthenticationRequired
from services.api_keys.service import DEFAULT_SCOPES, SCOPES, EmailNotVerified
from states.edge import accounts
from states.edge.accounts import Viewer
from states.session import current_viewer, viewer_required

ALL_SCOPES = sorted(SCOPES)
DEFAULT_KEY_NAME = "Quick start"


class DevelopersState(rx.State):
    signed_in: rx.Field[bool] = rx.field(False)
    key_prefix: rx.Field[str] = rx.field("")  # "" when signed out or without a key
    email_verified: rx.Field[bool] = rx.field(False)
    has_password: rx.Field[bool] = rx.field(True)
    # Connected providers that can confirm it is the visitor ({"name", "label"}), for the confirm dialog.
    reauth_providers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    scopes: rx.Field[list[str]] = rx.field(default_factory=lambda: list(ALL_SCOPES))
    default_scopes: rx.Field[list[str]] = rx.field(default_factory=lambda: list(DEFAULT_SCOPES))

    key_form_open: rx.Field[bool] = rx.field(False)
    key_name_error: rx.Field[str] = rx.field("")
    key_error: rx.Field[str] = rx.field("")
    creating: rx.Field[bool] = rx.field(False)
    # The plaintext of the key just created, shown once; "" otherwise.
    new_key: rx.Field[str] = rx.field("")
    resend_notice: rx.Field[str] = rx.field("")

    reauth_open: rx.Field[bool] = rx.field(False)
    reauth_error: rx.Field[str] = rx.field("")
    confirming: rx.Field[bool] = rx.field(False)

    # The create-key form waiting for the password to be confirmed.
    _pending_form: dict[str, Any] = {}

    def _forget(self) -> None:
        self.signed_in, self.key_prefix, self.email_verified, self.new_key = False, "", False, ""
        self.key_form_open = self.reauth_open = False
        self.reauth_providers, self._pending_form = [], {}

    async def _refresh(self, viewer: Viewer) -> None:
        view = await asyncio.to_thread(accounts.account_view, viewer)
        self.signed_in, self.email_verified, self.has_password = True, viewer.verified, view.has_password
        self.key_prefix = view.keys[0].prefix if view.keys else ""
        offered = {provider.name: provider.label for provider in accounts.oauth_providers()}
        linked = sorted({row.provider for row in view.connected if row.provider in offered})
        self.reauth_providers = [{"name": name, "label": offered[name]} for name in linked]

    @rx.event
    async def load(self) -> None:
        """on_load: nobody is sent away; a signed-in viewer's key prefix is read."""
        self.key_name_error = self.key_error = self.resend_notice = ""
        self.new_key = ""  # a key shown on an earlier visit is never shown again
        viewer = await current_viewer(self)
        if viewer is None:
            self._forget()
            return
        await self._refresh(viewer)

    @rx.event
    def toggle_key_form(self) -> None:
        self.key_form_open = not self.key_form_open
        self.key_name_error = self.key_error = ""

    @rx.event
    @viewer_required(signed_out=_forget)
    async def create_key(self, viewer: Viewer, form: dict[str, Any]):
        """Create a key with the chosen name and scopes; its plaintext is shown once, here."""
        self.key_name_error = self.key_error = ""
        chosen = [scope for scope in ALL_SCOPES if form.get(f"scope:{scope}")]
        if not chosen:
            self.key_error = "Choose at least one scope."
            return
        self.creating = True
        yield
        try:
            self.new_key = await asyncio.to_thread(accounts.create_api_key, viewer,
                                                   name=str(form.get("key_name", "")), scopes=chosen,
                                                   expires_in_days=None, daily_credit_cap=None)
            self.key_form_open = False
            await self._refresh(viewer)
        except ReauthenticationRequired:
            self._pending_form = dict(form)
            self.reauth_error = ""
            self.reauth_open = True
        except EmailNotVerified as error:
            self.email_verified = False
            self.key_error = error.message
        except DreamPixelError as error:
            fields = {e["field"]: e["message"] for e in error.errors}
            self.key_name_error = fields.get("name", "")
            self.key_error = "" if self.key_name_error else error.message
        self.creating = False

    @rx.event
    @viewer_required(signed_out=_forget)
    async def confirm_identity(self, viewer: Viewer, form: dict[str, Any]):
        """The confirm dialog: check the password, then create the key that asked for it."""
        self.reauth_error = ""
        self.confirming = True
        yield
        try:
            await asyncio.to_thread(accounts.confirm_password, viewer, password=str(form.get("reauth_password", "")))
        except DreamPixelError as error:
            self.reauth_error = error.errors[0]["message"] if error.errors else error.message
            self.confirming = False
            return
        self.confirming = False
        self.reauth_open = False
        pending, self._pending_form = self._pending_form, {}
        if pending:
            yield DevelopersState.create_key(pending)

    @rx.event
    def close_reauth(self, _open: bool = False) -> None:
        self.reauth_open = False
        self._pending_form = {}

    @rx.event
    @viewer_required(signed_out=_forget)
    async def resend_verification(self, viewer: Viewer):
        try:
            sent = await asyncio.to_thread(accounts.resend_verification, viewer,
                                           client=self.router.session.client_ip or None)
            self.resend_notice = (f"We sent a new link to {viewer.email}. Open it, then come back here."
                                  if sent else "Your email is already confirmed.")
            if not sent:
                self.email_verified = True
        except DreamPixelError as error:
            self.resend_notice = error.message

    @rx.event
    def dismiss_key(self) -> None:
        # The plaintext leaves the page for good.
        self.new_key = ""
