"""/admin/system: dependencies, providers, the queue, worker heartbeats, the schema revision, and the
error log viewer, refreshed by push when a new error is captured.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from dreampixel.core.logging import get_logger
from services.admin import system
from states.admin_access import AdminWatchMixin, admin_required, call_edge
from states.edge import admin as edge
from states.edge.accounts import Viewer

log = get_logger(__name__)

LEVELS = ["warning", "error"]
STATES = ["open", "resolved", "ignored"]
ANY = "any"
REFRESH_SECONDS = 1.0


def _ok(value: Any) -> str:
    return {True: "ok", False: "down", None: "not configured"}.get(value, "unknown")


class AdminSystemState(AdminWatchMixin, rx.State):
    overall: rx.Field[str] = rx.field("")
    checks: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    providers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    workers: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    errors: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    level: rx.Field[str] = rx.field(ANY)
    logger: rx.Field[str] = rx.field("")
    error_state: rx.Field[str] = rx.field("open")
    since: rx.Field[str] = rx.field("")
    expanded: rx.Field[str] = rx.field("")

    def _forget(self) -> None:
        self.checks, self.providers, self.workers, self.errors = [], [], [], []

    async def _refresh_health(self, viewer: Viewer) -> None:
        ok, report = await call_edge(self, edge.system_report, viewer)
        if not ok:
            return
        health = await system.dependencies()
        checks = health["checks"]
        queue, database = report["queue"], report["database"]
        oldest = queue["oldest_age_seconds"]
        self.overall = health["status"]
        self.checks = [
            {"name": "Database", "state": _ok(checks["database"].get("ok")),
             "detail": f"{checks['database'].get('backend', '')} · revision {database['revision'] or 'none'}"
                       + (f" · {checks['database']['latency_ms']} ms" if "latency_ms" in checks["database"] else "")},
            {"name": "Redis", "state": _ok(checks["redis"].get("ok")),
             "detail": str(checks["redis"].get("detail") or f"{checks['redis'].get('latency_ms', '')} ms")},
            {"name": "Storage", "state": _ok(checks["storage"].get("ok")),
             "detail": str(checks["storage"].get("detail") or checks["storage"].get("backend") or "")},
            {"name": "Queue", "state": "ok" if not oldest or oldest < 300 else "slow",
             "detail": f"{queue['depth']} waiting · {queue['processing']} processing · oldest "
                       + (f"{oldest} s" if oldest is not None else "—")},
            {"name": "Version", "state": "ok", "detail": str(health.get("version", ""))},
        ]
        rates = report["rates"]
        providers = checks["providers"] if isinstance(checks["providers"], list) else []
        self.providers = [
            {"name": p["name"], "state": "not configured" if not p["configured"] else _ok(p["healthy"]),
             "circuit": str(p.get("circuit", "")), "detail": str(p.get("detail") or ""),
             "error_rate": f"{rates[p['name']]['error_rate'] * 100:.1f}% of {rates[p['name']]['ended']}"
             if p["name"] in rates else "no traffic"}
            for p in providers]
        self.workers = [{"name": w["name"], "kind": w["kind"], "state": "alive" if w["alive"] else "gone",
                         "seen": f"{w['age_seconds']} s ago", "started": edge.when(w["started_at"]),
                         "jobs": f"{w.get('jobs_done', 0)} done · {w.get('jobs_failed', 0)} failed"}
                        for w in report["heartbeats"]]

    async def _refresh_errors(self, viewer: Viewer) -> None:
        ok, rows = await call_edge(self, edge.errors, viewer, level="" if self.level == ANY else self.level,
                                   logger=self.logger, state="" if self.error_state == ANY else self.error_state,
                                   since=self.since)
        if ok:
            self.errors = rows

    @rx.event
    @admin_required
    async def load(self, viewer: Viewer):
        self.notice = self.problem = ""
        await self._refresh_health(viewer)
        await self._refresh_errors(viewer)
        self._watching = True
        return AdminSystemState.watch

    @rx.event
    @admin_required
    async def refresh_health(self, viewer: Viewer):
        await self._refresh_health(viewer)

    @rx.event
    @admin_required
    async def filter_errors(self, viewer: Viewer, form: dict[str, Any]):
        self.logger = str(form.get("logger", ""))[:255]
        self.since = str(form.get("since", ""))[:10]
        await self._refresh_errors(viewer)

    @rx.event
    @admin_required
    async def set_filter(self, viewer: Viewer, name: str, value: str):
        choices = {"level": LEVELS, "error_state": STATES}
        if name in choices and (value in choices[name] or value == ANY):
            setattr(self, name, value)
        await self._refresh_errors(viewer)

    @rx.event
    @admin_required
    async def set_error_state(self, viewer: Viewer, error_id: str, state: str):
        ok, _ = await call_edge(self, edge.set_error_state, viewer, error_id=error_id, state=state)
        if ok:
            await self._refresh_errors(viewer)

    @rx.event
    @admin_required
    async def toggle(self, viewer: Viewer, error_id: str):
        self.expanded = "" if self.expanded == error_id else error_id[:64]

    @rx.event
    @admin_required
    async def log_test_error(self, viewer: Viewer):
        """Check the capture end to end: log an error that the viewer should show within a second."""
        try:
            raise RuntimeError("a test error requested from the admin console")
        except RuntimeError:
            log.exception("admin.test_error", user_id=viewer.user_id)
        self.notice = "Logged a test error."

    def _wants(self, event: dict[str, Any]) -> bool:
        return event.get("type") == "error.logged"

    async def _on_change(self, viewer: Viewer) -> None:
        await self._refresh_errors(viewer)

    @rx.event(background=True)
    async def watch(self):
        """Re-read the error list when an `error.logged` event arrives, while the page is open."""
        await self._follow(every=REFRESH_SECONDS)
