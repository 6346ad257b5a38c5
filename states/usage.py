"""The usage section of /account: balance, today's allowance, generations per day and the ledger.

A mixin of AccountState, so signing out or deleting the account forgets it with the rest of
the page. Handlers resolve the session cookie again and pass only the viewer to the edge; the
ledger cursor stays private, so a crafted client can page only through its own rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from services.credits.usage import DEFAULT_DAYS
from states.edge import credits
from states.edge.accounts import Viewer
from states.session import viewer_required


def _strings(row: credits.LedgerRow) -> dict[str, str]:
    """A ledger row as display strings (booleans as "1" or ""), the shape foreach lists use."""
    return {k: ("1" if v else "") if isinstance(v, bool) else str(v) for k, v in dataclasses.asdict(row).items()}


def _summary(total: int, succeeded: int, failed: int) -> str:
    noun = "generation" if total == 1 else "generations"
    text = f"{total} {noun} in the last {DEFAULT_DAYS} days"
    return f"{text}: {succeeded} succeeded, {failed} failed or canceled." if total else f"{text}."


class UsageMixin(rx.State, mixin=True):
    usage_ready: rx.Field[bool] = rx.field(False)
    credit_balance: rx.Field[int] = rx.field(0)
    daily_used: rx.Field[int] = rx.field(0)
    daily_limit: rx.Field[int] = rx.field(0)
    daily_note: rx.Field[str] = rx.field("")
    usage_warning: rx.Field[str] = rx.field("")
    usage_days: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    usage_total: rx.Field[int] = rx.field(0)
    usage_summary: rx.Field[str] = rx.field("")
    credits_spent: rx.Field[int] = rx.field(0)
    ledger: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    ledger_has_more: rx.Field[bool] = rx.field(False)
    ledger_loading: rx.Field[bool] = rx.field(False)

    _ledger_cursor: str = ""

    def _forget_usage(self) -> None:
        self.usage_ready = self.ledger_has_more = self.ledger_loading = False
        self.usage_days, self.ledger = [], []
        self.credit_balance = self.daily_used = self.daily_limit = self.usage_total = self.credits_spent = 0
        self.daily_note = self.usage_summary = self._ledger_cursor = self.usage_warning = ""

    @rx.event
    @viewer_required(signed_out=_forget_usage)
    async def load_usage(self, viewer: Viewer):
        """Runs when the section mounts: a skeleton until the numbers arrive."""
        self.usage_ready = False
        yield
        view = await asyncio.to_thread(credits.overview, viewer)
        self.credit_balance, self.daily_used, self.daily_limit = view.balance, view.daily_used, view.daily_limit
        self.daily_note, self.usage_warning = view.daily_note, view.warning
        self.usage_days = [dataclasses.asdict(day) for day in view.days]
        self.usage_total, self.credits_spent = view.generations, view.credits_spent
        self.usage_summary = _summary(view.generations, view.succeeded, view.failed)
        self.ledger = [_strings(row) for row in view.ledger.rows]
        self._ledger_cursor = view.ledger.next_cursor or ""
        self.ledger_has_more = view.ledger.next_cursor is not None
        self.usage_ready = True

    @rx.event
    @viewer_required
    async def show_more_ledger(self, viewer: Viewer):
        """The next page of the ledger, older rows appended below."""
        if not self._ledger_cursor or self.ledger_loading:
            return
        self.ledger_loading = True
        yield
        page = await asyncio.to_thread(credits.ledger, viewer, cursor=self._ledger_cursor)
        shown = {row["id"] for row in self.ledger}
        self.ledger = self.ledger + [_strings(row) for row in page.rows if row.id not in shown]
        self._ledger_cursor = page.next_cursor or ""
        self.ledger_has_more = page.next_cursor is not None
        self.ledger_loading = False
