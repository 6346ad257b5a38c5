"""/admin/analytics: retention by sign-up week, the funnel and provider performance over a chosen period."""

from __future__ import annotations

from typing import Any

import reflex as rx

from services.admin.analytics import PERIODS
from states.admin_access import AdminAccessMixin, admin_required, call_edge
from states.edge import analytics as edge
from states.edge.accounts import Viewer

PERIOD_CHOICES = [str(weeks) for weeks in PERIODS]
DEFAULT_PERIOD = "8"


class AdminAnalyticsState(AdminAccessMixin, rx.State):
    weeks: rx.Field[str] = rx.field(DEFAULT_PERIOD)
    since: rx.Field[str] = rx.field("")
    cohort_headings: rx.Field[list[str]] = rx.field(default_factory=list)
    cohort_rows: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    funnel_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    provider_rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _forget(self) -> None:
        self.cohort_headings, self.cohort_rows, self.funnel_rows, self.provider_rows = [], [], [], []
        self.since = ""

    async def _refresh(self, viewer: Viewer) -> None:
        ok, data = await call_edge(self, edge.tables, viewer, weeks=int(self.weeks))
        if ok:
            self.cohort_headings, self.cohort_rows = data["cohort_headings"], data["cohort_rows"]
            self.funnel_rows, self.provider_rows, self.since = data["funnel_rows"], data["provider_rows"], data["since"]

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        self.problem = ""
        await self._refresh(viewer)

    @rx.event
    @admin_required
    async def set_period(self, viewer: Viewer, weeks: str):
        """Show the last `weeks` weeks (one of PERIOD_CHOICES; anything else is ignored)."""
        if weeks in PERIOD_CHOICES:
            self.weeks = weeks
        await self._refresh(viewer)
