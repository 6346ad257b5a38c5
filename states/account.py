"""The /account page: profile, security (password, sessions, connected accounts), API keys, usage
(from `UsageMixin`), deletion.

Changing the email, setting a first password, creating an API key and deleting the account by
typed email need a recent sign-in: when the session is older, the page asks for the password
(or a fresh Google/GitHub sign-in) in a dialog and then carries on with what was asked.

Every handler resolves the session cookie again before acting (`viewer_required`), so a
revoked session or a suspended account is refused at once even with the page still open. Lists are
plain display strings; the only secret that ever reaches the browser is a new API key's
plaintext, shown once in a dialog and cleared when it closes.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from dreampixel.core.errors import DreamPixelError
from services.accounts import deletion
from services.accounts.reauth import ReauthenticationRequired
from services.api_keys.service import DEFAULT_SCOPES, SCOPES
from services.webhooks import delivery as webhook_delivery
from services.webhooks.schemas import EVENT_TYPES
from states.edge import accounts, plans
from states.edge import webhooks as webhook_edge
from states.edge.accounts import Viewer
from states.session import SIGNED_OUT_URL, SessionState, current_viewer, leave_for, viewer_required
from states.usage import UsageMixin

ALL_SCOPES = sorted(SCOPES)
# After a test event or a redelivery, the section re-reads its deliveries this often, this many times.
WATCH_DELIVERY_INTERVAL = 0.5
WATCH_DELIVERY_POLLS = 24


class AccountState(UsageMixin, rx.State):
    # False until the signed-in check has passed: a signed-out visitor never sees the page frame.
    ready: rx.Field[bool] = rx.field(False)
    name: rx.Field[str] = rx.field("")
    email: rx.Field[str] = rx.field("")
    email_verified: rx.Field[bool] = rx.field(False)
    has_password: rx.Field[bool] = rx.field(True)
    sessions: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    # {"id", "provider", "label"} per connected Google or GitHub account.
    connected: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    connected_error: rx.Field[str] = rx.field("")
    # Connected providers this installation can sign in with again (the confirm dialog's buttons).
    reauth_providers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    reauth_open: rx.Field[bool] = rx.field(False)
    reauth_error: rx.Field[str] = rx.field("")
    keys: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    # The plan section: "FREE", "1 generation / day", and whether payments exist here.
    plan_tier: rx.Field[str] = rx.field("")
    plan_allowance: rx.Field[str] = rx.field("")
    billing_enabled: rx.Field[bool] = rx.field(False)
    scopes: rx.Field[list[str]] = rx.field(default_factory=lambda: list(ALL_SCOPES))
    default_scopes: rx.Field[list[str]] = rx.field(default_factory=lambda: list(DEFAULT_SCOPES))

    name_error: rx.Field[str] = rx.field("")
    name_notice: rx.Field[str] = rx.field("")
    email_error: rx.Field[str] = rx.field("")
    email_notice: rx.Field[str] = rx.field("")
    current_password_error: rx.Field[str] = rx.field("")
    new_password_error: rx.Field[str] = rx.field("")
    password_notice: rx.Field[str] = rx.field("")
    key_name_error: rx.Field[str] = rx.field("")
    key_error: rx.Field[str] = rx.field("")
    delete_error: rx.Field[str] = rx.field("")
    resend_notice: rx.Field[str] = rx.field("")
    busy: rx.Field[str] = rx.field("")  # which form is waiting on the server: "name", "email", "password", "key", "delete"

    new_key: rx.Field[str] = rx.field("")
    key_dialog_open: rx.Field[bool] = rx.field(False)

    # Configured providers not connected yet ({"name", "label"}): the "Connect" buttons.
    connectable: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    # Webhooks: endpoints {"id", "url", "description", "events", "enabled" ("yes" or ""), "status"},
    # recent deliveries {"id", "event_type", "url", "status", "answer", "attempts", "created"}.
    webhook_endpoints: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    webhook_deliveries: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    webhook_event_types: rx.Field[list[str]] = rx.field(default_factory=lambda: list(EVENT_TYPES))
    webhook_url_error: rx.Field[str] = rx.field("")
    webhook_error: rx.Field[str] = rx.field("")
    webhook_notice: rx.Field[str] = rx.field("")
    # A new or rotated signing secret, shown once in a dialog and cleared when it closes.
    webhook_secret: rx.Field[str] = rx.field("")
    webhook_secret_open: rx.Field[bool] = rx.field(False)

    # The handler (and its arguments) that asked for a recent sign-in, run again once it is confirmed.
    _pending_action: str = ""
    _pending_args: list[Any] = []

    async def _refresh(self, viewer: Viewer) -> None:
        view = await asyncio.to_thread(accounts.account_view, viewer)
        self.name, self.email, self.email_verified = viewer.name, viewer.email, viewer.verified
        self.has_password = view.has_password
        self.sessions = [{k: str(v) for k, v in dataclasses.asdict(row).items()} for row in view.sessions]
        self.connected = [dataclasses.asdict(row) for row in view.connected]
        offered = {provider.name: provider.label for provider in accounts.oauth_providers()}
        linked = sorted({row.provider for row in view.connected if row.provider in offered})
        self.reauth_providers = [{"name": name, "label": offered[name]} for name in linked]
        self.connectable = [{"name": name, "label": label} for name, label in offered.items() if name not in linked]
        self.keys = [dataclasses.asdict(row) for row in view.keys]
        await self._refresh_webhooks(viewer)
        plan = await asyncio.to_thread(plans.current_plan, viewer)
        self.plan_tier, self.plan_allowance = plan.tier.upper(), plan.generations
        self.billing_enabled = plan.billing_enabled
        self.ready = True

    def forget(self) -> None:
        """Drop everything shown about the account (signing out, deleting it)."""
        self.ready = False
        self.name = self.email = self.new_key = ""
        self.sessions, self.connected, self.keys, self.reauth_providers, self.connectable = [], [], [], [], []
        self.webhook_endpoints, self.webhook_deliveries, self.webhook_secret = [], [], ""
        self.reauth_open = False
        self._pending_action, self._pending_args = "", []
        self._forget_usage()

    def _ask_to_confirm(self, action: str, *args: Any) -> None:
        self._pending_action, self._pending_args = action, list(args)
        self.reauth_error = ""
        self.reauth_open = True

    @rx.event
    @viewer_required
    async def confirm_identity(self, viewer: Viewer, form: dict[str, Any]):
        """The confirm dialog: check the password, then carry on with what asked for it."""
        self.reauth_error = ""
        self.busy = "reauth"
        yield
        try:
            await asyncio.to_thread(accounts.confirm_password, viewer, password=str(form.get("reauth_password", "")))
        except DreamPixelError as error:
            self.reauth_error = error.errors[0]["message"] if error.errors else error.message
            self.busy = ""
            return
        self.busy = ""
        self.reauth_open = False
        action, pending = self._pending_action, self._pending_args
        self._pending_action, self._pending_args = "", []
        if action in _RESUMABLE:
            yield getattr(AccountState, action)(*pending)

    @rx.event
    def close_reauth(self, _open: bool = False) -> None:
        self.reauth_open = False
        self._pending_action, self._pending_args = "", []

    @rx.event
    @viewer_required
    async def connect(self, viewer: Viewer, provider: str):
        """"Connect Google": off to the provider, after confirming it is you when the sign-in is old."""
        if not await asyncio.to_thread(accounts.is_recent, viewer):
            self._ask_to_confirm("connect", provider)
            return None
        return leave_for(f"/api/auth/oauth/{quote(provider, safe='')}/start?intent=link&next=%2Faccount")

    async def _attempt(self, error_field: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> bool:
        """Run an edge call off the event loop; its refusal becomes the message in `error_field`."""
        setattr(self, error_field, "")
        try:
            await asyncio.to_thread(fn, *args, **kwargs)
        except DreamPixelError as error:
            setattr(self, error_field, error.message)
            return False
        return True

    @rx.event
    @viewer_required
    async def unlink(self, viewer: Viewer, link_id: str):
        await self._attempt("connected_error", accounts.unlink_account, viewer, link_id=link_id)
        await self._refresh(viewer)

    @rx.event
    @viewer_required(signed_out=forget)
    async def load(self, viewer: Viewer):
        """on_load: signed-out visitors go to /login?next=/account."""
        for field in ("name_notice", "email_notice", "password_notice", "resend_notice", "key_error", "delete_error"):
            setattr(self, field, "")
        query = self.router.url.query_parameters
        self.connected_error = _oauth_error(query.get("oauth_error", ""), query.get("provider", ""))
        await self._refresh(viewer)
        return None

    @rx.event
    @viewer_required
    async def save_name(self, viewer: Viewer, form: dict[str, Any]):
        self.name_error = self.name_notice = ""
        self.busy = "name"
        yield
        try:
            self.name = await asyncio.to_thread(accounts.update_name, viewer, name=str(form.get("name", "")))
            self.name_notice = "Saved."
            session_state = await self.get_state(SessionState)
            session_state.user_name = self.name
        except DreamPixelError as error:
            self.name_error = error.errors[0]["message"] if error.errors else error.message
        self.busy = ""

    @rx.event
    @viewer_required
    async def change_email(self, viewer: Viewer, form: dict[str, Any]):
        self.email_error = self.email_notice = ""
        new_email = str(form.get("new_email", "")).strip()
        self.busy = "email"
        yield
        try:
            await asyncio.to_thread(accounts.request_email_change, viewer, new_email=new_email,
                                    client=self.router.session.client_ip or None)
            self.email_notice = (f"We sent a link to {new_email.lower()}. Your email changes when you open it; "
                                 "until then you keep signing in with the current one.")
        except ReauthenticationRequired:
            self._ask_to_confirm("change_email", form)
        except DreamPixelError as error:
            self.email_error = error.errors[0]["message"] if error.errors else error.message
        self.busy = ""

    @rx.event
    @viewer_required
    async def resend_verification(self, viewer: Viewer):
        try:
            sent = await asyncio.to_thread(accounts.resend_verification, viewer,
                                           client=self.router.session.client_ip or None)
            self.resend_notice = "We sent a new link." if sent else "Your email is already confirmed."
        except DreamPixelError as error:
            self.resend_notice = error.message

    @rx.event
    @viewer_required
    async def change_password(self, viewer: Viewer, form: dict[str, Any]):
        self.current_password_error = self.new_password_error = self.password_notice = ""
        self.busy = "password"
        yield
        try:
            ended = await asyncio.to_thread(accounts.change_password, viewer,
                                            current_password=str(form.get("current_password", "")),
                                            new_password=str(form.get("new_password", "")))
            self.password_notice = "Password changed." + _ended_message(ended)
            await self._refresh(viewer)
        except ReauthenticationRequired:
            self._ask_to_confirm("change_password", form)
        except DreamPixelError as error:
            fields = {e["field"]: e["message"] for e in error.errors}
            self.current_password_error = fields.get("current_password", "")
            self.new_password_error = fields.get("password", "") or ("" if fields else error.message)
        self.busy = ""

    @rx.event
    @viewer_required
    async def revoke_session(self, viewer: Viewer, session_id: str):
        await asyncio.to_thread(accounts.revoke_session, viewer, session_id=session_id)
        if session_id == viewer.session_id:
            self.forget()
            return leave_for(SIGNED_OUT_URL)
        await self._refresh(viewer)
        return None

    @rx.event
    @viewer_required
    async def sign_out_everywhere(self, viewer: Viewer):
        await asyncio.to_thread(accounts.sign_out_everywhere, viewer)
        self.forget()
        return leave_for(SIGNED_OUT_URL)

    @rx.event
    async def sign_out(self) -> EventSpec:
        """The navigation bar's "Sign out": revoke this browser's session row, forget what the pages
        showed, then let /api/auth/signed-out drop the cookie."""
        viewer = await current_viewer(self)
        if viewer is not None:
            await asyncio.to_thread(accounts.sign_out, viewer)
        (await self.get_state(SessionState))._show(None)
        self.forget()
        return leave_for(SIGNED_OUT_URL)

    @rx.event
    @viewer_required
    async def create_key(self, viewer: Viewer, form: dict[str, Any]):
        self.key_name_error = self.key_error = ""
        chosen = [scope for scope in ALL_SCOPES if form.get(f"scope:{scope}")]
        try:
            days = int(form["expires_days"]) if str(form.get("expires_days", "")).strip() else None
            cap = int(form["daily_cap"]) if str(form.get("daily_cap", "")).strip() else None
        except ValueError:
            self.key_error = "Expiry and daily cap are whole numbers."
            return
        if (days is not None and days < 1) or (cap is not None and cap < 1):
            self.key_error = "Expiry and daily cap must be at least 1."
            return
        if not chosen:
            self.key_error = "Choose at least one scope."
            return
        self.busy = "key"
        yield
        try:
            self.new_key = await asyncio.to_thread(accounts.create_api_key, viewer, name=str(form.get("key_name", "")),
                                                   scopes=chosen, expires_in_days=days, daily_credit_cap=cap)
            self.key_dialog_open = True
            await self._refresh(viewer)
        except ReauthenticationRequired:
            self._ask_to_confirm("create_key", form)
        except DreamPixelError as error:
            fields = {e["field"]: e["message"] for e in error.errors}
            self.key_name_error = fields.get("name", "")
            self.key_error = "" if self.key_name_error else error.message
        self.busy = ""

    @rx.event
    def close_key_dialog(self, _open: bool = False) -> None:
        # The plaintext leaves the page for good once the dialog closes.
        self.key_dialog_open = False
        self.new_key = ""

    @rx.event
    @viewer_required
    async def revoke_key(self, viewer: Viewer, key_id: str):
        await asyncio.to_thread(accounts.revoke_api_key, viewer, key_id=key_id)
        await self._refresh(viewer)
        return None

    @rx.event
    @viewer_required
    async def delete_account(self, viewer: Viewer, form: dict[str, Any]):
        self.delete_error = ""
        self.busy = "delete"
        yield
        try:
            keys = await asyncio.to_thread(accounts.delete_account_rows, viewer, password=str(form.get("password", "")),
                                           typed_email=str(form.get("typed_email", "")))
        except ReauthenticationRequired:
            self._ask_to_confirm("delete_account", form)
            self.busy = ""
            return
        except DreamPixelError as error:
            self.delete_error = error.message
            self.busy = ""
            return
        await deletion.delete_files(keys)
        self.busy = ""
        self.forget()
        yield leave_for(SIGNED_OUT_URL)

    # --- webhooks --------------------------------------------------------------------------

    async def _refresh_webhooks(self, viewer: Viewer) -> bool:
        """Re-read endpoints and deliveries; True while a delivery still waits for its outcome."""
        shown = await asyncio.to_thread(webhook_edge.view, viewer)
        self.webhook_endpoints = [{**{k: str(v) for k, v in dataclasses.asdict(row).items()},
                                   "enabled": "yes" if row.enabled else ""} for row in shown.endpoints]
        self.webhook_deliveries = [dataclasses.asdict(row) for row in shown.deliveries]
        return any(row.status == "pending" for row in shown.deliveries)

    async def _follow_deliveries(self, viewer: Viewer) -> AsyncIterator[None]:
        # Deliveries run in the background: watch a few seconds so the outcome shows without a reload.
        for _ in range(WATCH_DELIVERY_POLLS):
            await asyncio.sleep(WATCH_DELIVERY_INTERVAL)
            if not await self._refresh_webhooks(viewer):
                return
            yield

    @rx.event
    @viewer_required
    async def create_webhook(self, viewer: Viewer, form: dict[str, Any]):
        self.webhook_url_error = self.webhook_error = self.webhook_notice = ""
        url = str(form.get("webhook_url", "")).strip()
        events = [t for t in EVENT_TYPES if form.get(f"event:{t}")]
        self.busy = "webhook"
        yield
        try:
            await webhook_delivery.check_target(url)
            self.webhook_secret = await asyncio.to_thread(
                webhook_edge.create_endpoint, viewer, url=url, description=str(form.get("webhook_description", "")),
                events=events)
            self.webhook_secret_open = True
            await self._refresh_webhooks(viewer)
        except ReauthenticationRequired:
            self._ask_to_confirm("create_webhook", form)
        except DreamPixelError as error:
            fields = {e["field"]: e["message"] for e in error.errors}
            self.webhook_url_error = fields.get("url", "") or (error.message if error.code == "unsafe_url" else "")
            self.webhook_error = "" if self.webhook_url_error else error.message
        self.busy = ""

    @rx.event
    @viewer_required
    async def rotate_webhook_secret(self, viewer: Viewer, endpoint_id: str):
        self.webhook_error = ""
        try:
            self.webhook_secret = await asyncio.to_thread(webhook_edge.rotate_secret, viewer, endpoint_id=endpoint_id)
            self.webhook_secret_open = True
        except ReauthenticationRequired:
            self._ask_to_confirm("rotate_webhook_secret", endpoint_id)
        except DreamPixelError as error:
            self.webhook_error = error.message

    @rx.event
    @viewer_required
    async def show_default_webhook_secret(self, viewer: Viewer):
        self.webhook_error = ""
        try:
            self.webhook_secret = await asyncio.to_thread(webhook_edge.default_secret, viewer)
            self.webhook_secret_open = True
        except ReauthenticationRequired:
            self._ask_to_confirm("show_default_webhook_secret")
        except DreamPixelError as error:
            self.webhook_error = error.message

    @rx.event
    def close_webhook_secret(self, _open: bool = False) -> None:
        # The secret leaves the page for good once the dialog closes.
        self.webhook_secret_open = False
        self.webhook_secret = ""

    @rx.event
    @viewer_required
    async def toggle_webhook(self, viewer: Viewer, endpoint_id: str, enable: bool):
        await self._attempt("webhook_error", webhook_edge.set_enabled, viewer, endpoint_id=endpoint_id,
                            enabled=bool(enable))
        await self._refresh_webhooks(viewer)

    @rx.event
    @viewer_required
    async def delete_webhook(self, viewer: Viewer, endpoint_id: str):
        await self._attempt("webhook_error", webhook_edge.delete_endpoint, viewer, endpoint_id=endpoint_id)
        await self._refresh_webhooks(viewer)

    @rx.event
    @viewer_required
    async def test_webhook(self, viewer: Viewer, endpoint_id: str):
        self.webhook_notice = ""
        if not await self._attempt("webhook_error", webhook_edge.send_test, viewer, endpoint_id=endpoint_id):
            return
        self.webhook_notice = "Test event sent."
        await self._refresh_webhooks(viewer)
        yield
        async for _ in self._follow_deliveries(viewer):
            yield

    @rx.event
    @viewer_required
    async def redeliver_webhook(self, viewer: Viewer, delivery_id: str):
        if not await self._attempt("webhook_error", webhook_edge.redeliver, viewer, delivery_id=delivery_id):
            return
        await self._refresh_webhooks(viewer)
        yield
        async for _ in self._follow_deliveries(viewer):
            yield

    @rx.event
    @viewer_required
    async def refresh_webhooks(self, viewer: Viewer):
        await self._refresh_webhooks(viewer)
        return None



# The handlers the confirm dialog may run again with their pending form.
_RESUMABLE = frozenset({"change_email", "change_password", "create_key", "delete_account", "connect",
                        "create_webhook", "rotate_webhook_secret", "show_default_webhook_secret"})


def _oauth_error(reason: str, provider: str) -> str:
    """The account page's message for /account?oauth_error=...&provider=... (a refused connect or reauth)."""
    if not reason:
        return ""
    label = {"google": "Google", "github": "GitHub"}.get(provider, "That provider")
    return {
        "reauth_required": f"Confirm it's you first, then connect {label} again.",
        "already_linked": f"That {label} account already signs in to another Dream Pixel account.",
        "reauth_mismatch": f"That {label} account is not connected to this one, so it cannot confirm it's you.",
        "denied": f"{label} was cancelled.",
    }.get(reason, f"We could not finish with {label}. Please try again.")


def _ended_message(ended: accounts.AccessEnded) -> str:
    parts = []
    if ended.sessions:
        parts.append(f"{ended.sessions} other session{'s' if ended.sessions != 1 else ''} ended")
    if ended.api_keys:
        parts.append(f"{ended.api_keys} API key{'s were' if ended.api_keys != 1 else ' was'} revoked "
                     "(create new ones below)")
    return (" " + " and ".join(parts) + ".") if parts else ""
