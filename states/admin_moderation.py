"""/admin/moderation, for moderators and admins: the seed queue (approve, reject with a reason,
feature, recategorise), the prompt rules (add, edit, disable, delete, test a prompt) and the log
of blocked prompts."""

from __future__ import annotations

from typing import Any

import reflex as rx

from states.admin_access import MODERATORS, AdminAccessMixin, admin_required, call_edge
from states.edge import admin_moderation as edge
from states.edge.accounts import Viewer

ANY = "any"
SEED_STATUSES = ("pending", "approved", "rejected")
SEED_CATEGORIES = ("portrait", "landscape", "anime", "abstract", "other")
SOURCES = ("web", "api")
DECISIONS = ("approve", "reject", "feature", "unfeature", "recategorise")
FIELD_MAX = 320


def _text(form: dict[str, Any], name: str, limit: int = FIELD_MAX) -> str:
    return str(form.get(name, "") or "")[:limit]


def _choice(value: str, options: tuple[str, ...]) -> str:
    """A select's value as a filter: "" for "any" or anything not on the list."""
    return value if value in options else ""


class AdminModerationState(AdminAccessMixin, rx.State):
    # The seed queue
    seeds: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    seed_status: rx.Field[str] = rx.field("pending")
    seed_category: rx.Field[str] = rx.field(ANY)
    # The button that submitted a seed's form (a form's data does not say which button sent it).
    _decision: str = ""
    # Prompt rules
    rules: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    categories: rx.Field[list[str]] = rx.field(default_factory=list)
    rule_query: rx.Field[str] = rx.field("")
    editing: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    verdict: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    # Blocked prompts
    blocked: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    blocked_user: rx.Field[str] = rx.field("")
    blocked_category: rx.Field[str] = rx.field(ANY)
    blocked_source: rx.Field[str] = rx.field(ANY)
    blocked_since: rx.Field[str] = rx.field("")
    blocked_until: rx.Field[str] = rx.field("")

    def _forget(self) -> None:
        self.seeds, self.rules, self.categories, self.blocked = [], [], [], []
        self.editing, self.verdict = {}, {}

    async def _seeds(self, viewer: Viewer) -> None:
        ok, rows = await call_edge(self, edge.seed_queue, viewer, status=_choice(self.seed_status, SEED_STATUSES),
                                   category=_choice(self.seed_category, SEED_CATEGORIES))
        if ok:
            self.seeds = rows

    async def _rules(self, viewer: Viewer) -> None:
        ok, found = await call_edge(self, edge.prompt_rules, viewer, q=self.rule_query, category="")
        if ok:
            self.rules, self.categories = found

    async def _blocked(self, viewer: Viewer) -> None:
        category = self.blocked_category if self.blocked_category != ANY else ""
        ok, rows = await call_edge(self, edge.blocked_prompts, viewer, user=self.blocked_user, category=category,
                                   source=_choice(self.blocked_source, SOURCES), since=self.blocked_since,
                                   until=self.blocked_until)
        if ok:
            self.blocked = rows

    def _clear(self) -> None:
        self.notice = self.problem = ""

    @rx.event
    @admin_required(roles=MODERATORS)
    async def load(self, viewer: Viewer):
        self._clear()
        self.editing, self.verdict = {}, {}
        await self._seeds(viewer)
        await self._rules(viewer)
        await self._blocked(viewer)

    # ---- seeds --------------------------------------------------------------------------------------------

    @rx.event
    @admin_required(roles=MODERATORS)
    async def set_seed_filter(self, viewer: Viewer, name: str, value: str):
        self._clear()
        if name == "status":
            self.seed_status = value if value in (*SEED_STATUSES, ANY) else ANY
        elif name == "category":
            self.seed_category = value if value in (*SEED_CATEGORIES, ANY) else ANY
        await self._seeds(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def choose(self, viewer: Viewer, decision: str):
        """A decision button was pressed: its form's submit, which follows, carries it out."""
        self._decision = decision if decision in DECISIONS else ""

    @rx.event
    @admin_required(roles=MODERATORS)
    async def decide(self, viewer: Viewer, form: dict[str, Any]):
        self._clear()
        decision, self._decision = _text(form, "decision") or self._decision, ""
        if decision not in DECISIONS:
            self.problem = "Choose what to do with the seed."
            return
        ok, message = await call_edge(self, edge.decide_seed, viewer, seed_id=_text(form, "seed_id", 64),
                                      decision=decision, reason=_text(form, "reason", 1000),
                                      category=_text(form, "category", 32))
        if ok:
            self.notice = message
            await self._seeds(viewer)

    # ---- prompt rules -------------------------------------------------------------------------------------

    @rx.event
    @admin_required(roles=MODERATORS)
    async def add_rule(self, viewer: Viewer, form: dict[str, Any]):
        self._clear()
        ok, message = await call_edge(self, edge.add_rule, viewer, phrase=_text(form, "phrase"),
                                      category=_text(form, "category"))
        if ok:
            self.notice = message
            await self._rules(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def search_rules(self, viewer: Viewer, form: dict[str, Any]):
        self._clear()
        self.rule_query = _text(form, "q")
        await self._rules(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def edit_rule(self, viewer: Viewer, rule_id: str):
        self._clear()
        found = next((rule for rule in self.rules if rule["id"] == rule_id), None)
        self.editing = dict(found) if found else {}

    @rx.event
    @admin_required(roles=MODERATORS)
    async def cancel_edit(self, viewer: Viewer):
        self.editing = {}

    @rx.event
    @admin_required(roles=MODERATORS)
    async def save_rule(self, viewer: Viewer, form: dict[str, Any]):
        self._clear()
        ok, message = await call_edge(self, edge.change_rule, viewer, rule_id=_text(form, "rule_id", 64),
                                      phrase=_text(form, "phrase"), category=_text(form, "category"))
        if ok:
            self.notice, self.editing = message, {}
            await self._rules(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def set_rule_enabled(self, viewer: Viewer, rule_id: str, enabled: bool):
        self._clear()
        ok, message = await call_edge(self, edge.change_rule, viewer, rule_id=str(rule_id)[:64],
                                      enabled=bool(enabled))
        if ok:
            self.notice = message
            await self._rules(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def delete_rule(self, viewer: Viewer, rule_id: str):
        self._clear()
        ok, message = await call_edge(self, edge.delete_rule, viewer, rule_id=str(rule_id)[:64])
        if ok:
            self.notice = message
            if self.editing.get("id") == rule_id:
                self.editing = {}
            await self._rules(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def check_prompt(self, viewer: Viewer, form: dict[str, Any]):
        self._clear()
        ok, verdict = await call_edge(self, edge.check_prompt, viewer, prompt=_text(form, "prompt", 2000))
        if ok:
            self.verdict = verdict

    # ---- blocked prompts ----------------------------------------------------------------------------------

    @rx.event
    @admin_required(roles=MODERATORS)
    async def filter_blocked(self, viewer: Viewer, form: dict[str, Any]):
        self._clear()
        self.blocked_user = _text(form, "user")
        self.blocked_since, self.blocked_until = _text(form, "since", 10), _text(form, "until", 10)
        await self._blocked(viewer)

    @rx.event
    @admin_required(roles=MODERATORS)
    async def set_blocked_filter(self, viewer: Viewer, name: str, value: str):
        self._clear()
        if name == "category":
            self.blocked_category = str(value)[:80] or ANY
        elif name == "source":
            self.blocked_source = value if value in (*SOURCES, ANY) else ANY
        await self._blocked(viewer)
