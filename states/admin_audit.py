"""/admin/audit: every staff action, filtered by actor, action, target and date."""

from __future__ import annotations

from typing import Any

import reflex as rx

from states.admin_access import AdminAccessMixin, admin_required, call_edge
from states.edge import admin as edge
from states.edge.accounts import Viewer


class AdminAuditState(AdminAccessMixin, rx.State):
    actor: rx.Field[str] = rx.field("")
    action: rx.Field[str] = rx.field("")
    target: rx.Field[str] = rx.field("")
    since: rx.Field[str] = rx.field("")
    until: rx.Field[str] = rx.field("")
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _forget(self) -> None:
        self.rows = []

    async def _search(self, viewer: Viewer) -> None:
        ok, rows = await call_edge(self, edge.audit_log, viewer, actor=self.actor, action=self.action,
                                   target=self.target, since=self.since, until=self.until)
        if ok:
            self.rows = rows

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        self.target = str(self.router.url.query_parameters.get("target", ""))[:64]
        await self._search(viewer)

    @rx.event
    @admin_required
    async def search(self, viewer: Viewer, form: dict[str, Any]):
        for name in ("actor", "action", "target", "since", "until"):
            setattr(self, name, str(form.get(name, ""))[:320])
        await self._search(viewer)
