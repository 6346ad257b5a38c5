"""/admin/moderation: the seed queue, for moderators and admins (approve, reject with a reason)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from states.admin_access import MODERATORS, AdminAccessMixin, admin_required, call_edge
from states.edge import admin as edge
from states.edge.accounts import Viewer


class AdminModerationState(AdminAccessMixin, rx.State):
    seeds: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _forget(self) -> None:
        self.seeds = []

    async def _refresh(self, viewer: Viewer) -> None:
        ok, seeds = await call_edge(self, edge.pending_seeds, viewer)
        if ok:
            self.seeds = seeds

    @rx.event
    @admin_required(roles=MODERATORS)
    async def load(self, viewer: Viewer):
        self.notice = self.problem = ""
        await self._refresh(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def decide(self, viewer: Viewer, form: dict[str, Any]):
        self.notice = self.problem = ""
        approve = form.get("decision") == "approve"
        ok, _ = await call_edge(self, edge.moderate, viewer, seed_id=str(form.get("seed_id", "")), approve=approve,
                                reason=str(form.get("reason", "")))
        if ok:
            self.notice = "Approved: the seed is in the marketplace." if approve else "Rejected; the creator sees why."
            await self._refresh(viewer)
