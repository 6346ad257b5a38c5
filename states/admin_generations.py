"""/admin/generations and /admin/generations/[generation_id]: search, the stuck view, retry, cancel, delete, reap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from states.admin_access import AdminAccessMixin, AdminDetailMixin, admin_required, call_edge
from states.edge import admin as edge
from states.edge.accounts import Viewer

STATUSES = ["queued", "processing", "succeeded", "failed", "canceled", "expired"]
ANY = "any"


class AdminGenerationsState(AdminAccessMixin, rx.State):
    status: rx.Field[str] = rx.field(ANY)
    provider: rx.Field[str] = rx.field("")
    user: rx.Field[str] = rx.field("")
    q: rx.Field[str] = rx.field("")
    since: rx.Field[str] = rx.field("")
    until: rx.Field[str] = rx.field("")
    stuck: rx.Field[bool] = rx.field(False)
    rows: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)

    def _forget(self) -> None:
        self.rows = []

    async def _search(self, viewer: Viewer) -> None:
        ok, rows = await call_edge(self, edge.generations, viewer, status="" if self.status == ANY else self.status,
                                   provider=self.provider, user=self.user, q=self.q, since=self.since,
                                   until=self.until, stuck=self.stuck)
        if ok:
            self.rows = rows

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        self.notice = self.problem = ""
        self.stuck = self.router.url.query_parameters.get("view") == "stuck"
        await self._search(viewer)

    @rx.event
    @admin_required
    async def search(self, viewer: Viewer, form: dict[str, Any]):
        self.q = str(form.get("q", ""))[:200]
        self.provider = str(form.get("provider", ""))[:32]
        self.user = str(form.get("user", ""))[:320]
        self.since = str(form.get("since", ""))[:10]
        self.until = str(form.get("until", ""))[:10]
        await self._search(viewer)

    @rx.event
    @admin_required
    async def set_status(self, viewer: Viewer, value: str):
        self.status = value if value in STATUSES else ANY
        await self._search(viewer)

    @rx.event
    @admin_required
    async def show_stuck(self, viewer: Viewer, stuck: bool):
        self.stuck = bool(stuck)
        await self._search(viewer)

    @rx.event
    @admin_required
    async def reap(self, viewer: Viewer):
        self.notice = self.problem = ""
        ok, counts = await call_edge(self, edge.reap, viewer)
        if ok:
            self.notice = ("Reaped: " + ", ".join(f"{v} {k}" for k, v in counts.items())) if counts else "Reaped."
            await self._search(viewer)


class AdminGenerationState(AdminDetailMixin, rx.State):
    row: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    inputs: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    timings: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    attempts: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    outputs: rx.Field[list[str]] = rx.field(default_factory=list)
    retryable: rx.Field[bool] = rx.field(False)
    cancelable: rx.Field[bool] = rx.field(False)

    def _forget(self) -> None:
        self.row, self.inputs, self.timings, self.attempts, self.outputs = {}, [], [], [], []
        self.retryable = self.cancelable = False

    def _parameter(self) -> str:
        return "generation_id"

    def _read(self) -> Callable[..., dict[str, Any]]:
        return edge.generation_detail

    def _show(self, detail: dict[str, Any]) -> None:
        self.row, self.inputs, self.timings = detail["row"], detail["input"], detail["timings"]
        self.attempts, self.outputs = detail["attempts"], detail["outputs"]
        self.retryable, self.cancelable = detail["retryable"], detail["cancelable"]

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        await self._open(viewer)

    @rx.event
    @admin_required
    async def act(self, viewer: Viewer, action: str):
        return await self._act(viewer, edge.generation_action, action)
