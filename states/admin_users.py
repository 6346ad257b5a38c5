"""/admin/users and /admin/users/[user_id]: find an account, read what it holds, act on it (audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from states.admin_access import AdminAccessMixin, AdminDetailMixin, admin_required, call_edge
from states.edge import admin as edge
from states.edge.accounts import Viewer

TIERS = ["FREE", "PRO", "ENTERPRISE"]
ROLES = ["USER", "MODERATOR", "ADMIN"]
STATUSES = ["ACTIVE", "SUSPENDED"]
SORTS = ["newest", "oldest", "email", "credits", "last_login"]
ANY = "any"


def _filter(value: str) -> str:
    return "" if value == ANY else value


class AdminUsersState(AdminAccessMixin, rx.State):
    q: rx.Field[str] = rx.field("")
    tier: rx.Field[str] = rx.field(ANY)
    role: rx.Field[str] = rx.field(ANY)
    status: rx.Field[str] = rx.field(ANY)
    verified: rx.Field[str] = rx.field(ANY)
    sort: rx.Field[str] = rx.field("newest")
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _forget(self) -> None:
        self.rows = []

    async def _search(self, viewer: Viewer) -> None:
        ok, rows = await call_edge(self, edge.users, viewer, q=self.q, tier=_filter(self.tier), role=_filter(self.role),
                                   status=_filter(self.status), verified=_filter(self.verified), sort=self.sort)
        if ok:
            self.rows = rows

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        await self._search(viewer)

    @rx.event
    @admin_required
    async def search(self, viewer: Viewer, form: dict[str, Any]):
        self.q = str(form.get("q", ""))[:320]
        await self._search(viewer)

    @rx.event
    @admin_required
    async def set_filter(self, viewer: Viewer, name: str, value: str):
        allowed = {"tier": TIERS, "role": ROLES, "status": STATUSES, "verified": ["yes", "no"], "sort": SORTS}
        if name in allowed and (value in allowed[name] or (value == ANY and name != "sort")):
            setattr(self, name, value)
        await self._search(viewer)


class AdminUserState(AdminDetailMixin, rx.State):
    user: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    generations: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    ledger: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    subscription: rx.Field[str] = rx.field("")
    sessions: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    api_keys: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    history: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _forget(self) -> None:
        self.user, self.generations, self.ledger, self.subscription = {}, [], [], ""
        self.sessions, self.api_keys, self.history = [], [], []

    def _parameter(self) -> str:
        return "user_id"

    def _read(self) -> Callable[..., dict[str, Any]]:
        return edge.user_detail

    def _show(self, detail: dict[str, Any]) -> None:
        self.user, self.generations, self.ledger = detail["user"], detail["generations"], detail["ledger"]
        self.subscription, self.sessions = detail["subscription"], detail["sessions"]
        self.api_keys, self.history = detail["api_keys"], detail["audit"]

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        await self._open(viewer)

    @rx.event
    @admin_required
    async def act(self, viewer: Viewer, form: dict[str, Any]):
        """One form per action: `action`, and `value` / `reason` where the action takes them."""
        return await self._act(viewer, edge.user_action, str(form.get("action", "")),
                               value=str(form.get("value", "")), reason=str(form.get("reason", "")))
