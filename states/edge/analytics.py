"""The analytics page's edge: checks the viewer is an ADMIN in its own unit of work and returns the
three tables as display values (the API's CSV routes serve the downloads)."""

from __future__ import annotations

from typing import Any

from dreampixel.core.db import uow
from services.admin import analytics, service
from services.admin.schemas import CohortTable, FunnelTable, ProviderTable
from states.edge.accounts import Viewer

Row = dict[str, str]
# The darkest a retention cell gets (percent of the accent colour mixed in), so its text stays readable.
MAX_SHADE = 60


def _count(value: int) -> str:
    return f"{value:,}"


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _step(count: int, rate: float | None) -> str:
    return f"{count:,} · {_percent(rate)}"


def _ms(value: int | None) -> str:
    return "—" if value is None else f"{value:,} ms"


def cohort_view(table: CohortTable) -> tuple[list[str], list[dict[str, Any]]]:
    """The week columns' headings and the rows of the retention triangle; each cell carries its shade
    (0..MAX_SHADE)."""
    headings = [f"Week {k}" for k in range(table.weeks)]
    rows: list[dict[str, Any]] = []
    for row in table.rows:
        cells = [{"text": _percent(rate) if rate is not None else "—",
                  "shade": str(round((rate or 0) * MAX_SHADE)),
                  "title": f"{count:,} of {row.users:,} accounts"}
                 for count, rate in zip(row.active, row.retention, strict=True)]
        cells += [{"text": "", "shade": "0", "title": ""}] * (table.weeks - len(cells))
        rows.append({"week": row.cohort_week.isoformat(), "users": _count(row.users), "cells": cells})
    return headings, rows


def funnel_view(table: FunnelTable) -> list[Row]:
    return [{"week": r.cohort_week.isoformat(), "signed_up": _count(r.signed_up),
             "verified": _step(r.verified, r.verified_rate), "first": _step(r.first_generation, r.first_generation_rate),
             "fifth": _step(r.fifth_generation, r.fifth_generation_rate), "paid": _step(r.paid, r.paid_rate)}
            for r in table.rows]


def provider_view(table: ProviderTable) -> list[Row]:
    return [{"provider": r.provider, "attempts": _count(r.attempts), "success": _percent(r.success_rate),
             "p50": _ms(r.latency_p50_ms), "p95": _ms(r.latency_p95_ms), "p99": _ms(r.latency_p99_ms),
             "delivered": _count(r.delivered), "failovers_out": _count(r.failovers_out),
             "failovers_in": _count(r.failovers_in), "skipped": _count(r.skipped)}
            for r in table.rows]


def tables(viewer: Viewer, *, weeks: int) -> dict[str, Any]:
    """The three tables of the last `weeks` weeks, for an ADMIN; NoSuchPage for anyone else."""
    with uow() as session:
        service.staff(session, user_id=viewer.user_id)
        cohorts = analytics.cohorts(session, weeks=weeks)
        funnel = analytics.funnel(session, weeks=weeks)
        providers = analytics.providers(session, weeks=weeks)
    headings, rows = cohort_view(cohorts)
    return {"cohort_headings": headings, "cohort_rows": rows, "funnel_rows": funnel_view(funnel),
            "provider_rows": provider_view(providers), "since": providers.since.isoformat()}
