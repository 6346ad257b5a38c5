"""/admin: the dashboard. Counters refresh when the admin channel says something changed (a
generation moved, someone signed up), at most once per REFRESH_SECONDS; nothing polls.
"""

from __future__ import annotations

import time
from typing import Any

import reflex as rx

from states.admin_access import AdminWatchMixin, admin_required, call_edge
from states.edge import admin as edge
from states.edge.accounts import Viewer

REFRESH_SECONDS = 2.0


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _cards(data: dict[str, Any]) -> list[dict[str, str]]:
    rate = data["success_rate_7d"]
    p50, p95 = data["processing_p50_ms"], data["processing_p95_ms"]
    tiers = ", ".join(f"{k.title()} {v}" for k, v in sorted(data["subscriptions_by_tier"].items())) or "none"
    return [
        {"label": "Users", "value": f"{data['users_total']:,}", "hint": f"{data['users_active_7d']:,} active in 7 days"},
        {"label": "New users", "value": f"{data['users_new_today']:,} today",
         "hint": f"{data['users_new_7d']:,} in 7 days · {data['users_new_30d']:,} in 30"},
        {"label": "Generations", "value": f"{data['generations_today']:,} today",
         "hint": f"{data['generations_7d']:,} in 7 days"},
        {"label": "Success rate", "value": "—" if rate is None else f"{rate * 100:.1f}%", "hint": "last 7 days"},
        {"label": "Processing time", "value": "—" if p50 is None else f"{p50:,} ms",
         "hint": "p50 · p95 " + ("—" if p95 is None else f"{p95:,} ms")},
        {"label": "Queue", "value": f"{data['queue_depth']:,} waiting", "hint": f"{data['processing_now']:,} processing"},
        {"label": "Credits spent", "value": f"{data['credits_spent_7d']:,}", "hint": "last 7 days"},
        {"label": "Subscriptions", "value": f"{sum(data['subscriptions_by_tier'].values()):,}", "hint": tiers},
        {"label": "MRR", "value": _money(data["mrr_cents"]), "hint": f"revenue 30 days {_money(data['revenue_30d_cents'])}"},
    ]


class AdminDashboardState(AdminWatchMixin, rx.State):
    cards: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    generations_per_day: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    signups_per_day: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    provider_share: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    provider_failure: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    updated: rx.Field[str] = rx.field("")

    def _forget(self) -> None:
        self.cards, self.generations_per_day, self.signups_per_day = [], [], []
        self.provider_share, self.provider_failure = [], []

    async def _refresh(self, viewer: Viewer) -> None:
        ok, data = await call_edge(self, edge.dashboard, viewer)
        if ok:
            self.cards = _cards(data)
            self.generations_per_day = data["generations_per_day"]
            self.signups_per_day = data["signups_per_day"]
            self.provider_share = data["provider_share"]
            self.provider_failure = data["provider_failure"]
            self.updated = time.strftime("%H:%M:%S", time.gmtime())

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        await self._refresh(viewer)
        self._watching = True
        return AdminDashboardState.watch

    async def _on_change(self, viewer: Viewer) -> None:
        await self._refresh(viewer)

    @rx.event(background=True)
    async def watch(self):
        """Re-read the counters when the admin channel reports activity, while the page is open."""
        await self._follow(every=REFRESH_SECONDS)
