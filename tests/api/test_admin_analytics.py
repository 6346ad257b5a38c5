"""/api/admin/analytics/*: JSON and CSV for admins, formula-safe cells, 404 for everyone else."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest

from dreampixel.core.db import uow
from dreampixel.core.models import GenerationStatus, Role, utcnow
from services.admin.analytics import week_start
from tests.api.test_admin import browser, signed_in
from tests.factories import create_generation, create_user

TABLES = ("cohorts", "funnel", "providers")


def a_provider_named_like_a_formula() -> None:
    with uow() as session:
        user = create_user(session)
        create_generation(session, user, status=GenerationStatus.SUCCEEDED, completed_at=utcnow(),
                          provider_used="=cmd|' /C calc'!A0",
                          attempts=[{"provider": "=cmd|' /C calc'!A0", "status": "succeeded", "latency_ms": 120}])


@pytest.mark.parametrize("role", [Role.USER, Role.MODERATOR])
async def test_analytics_are_a_404_for_anyone_but_an_admin(api: httpx.AsyncClient, role: Role) -> None:
    _id, cookie = await asyncio.to_thread(signed_in, role)
    for table in TABLES:
        for path in (f"/api/admin/analytics/{table}", f"/api/admin/analytics/{table}.csv"):
            answer = await api.get(path, headers=browser(cookie))
            assert answer.status_code == 404, path
            assert answer.json()["code"] == "not_found"
    assert (await api.get("/api/admin/analytics/funnel.csv")).status_code == 401


async def test_an_admin_reads_each_table_as_json(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    await asyncio.to_thread(a_provider_named_like_a_formula)
    cohorts = (await api.get("/api/admin/analytics/cohorts", params={"weeks": 4}, headers=browser(cookie))).json()
    assert cohorts["object"] == "admin.analytics.cohorts" and len(cohorts["rows"]) == 4
    # The admin and the generation's owner signed up this week.
    assert cohorts["rows"][-1]["users"] == 2
    funnel = (await api.get("/api/admin/analytics/funnel", headers=browser(cookie))).json()
    assert len(funnel["rows"]) == 8 and funnel["rows"][-1]["signed_up"] == 2
    providers = (await api.get("/api/admin/analytics/providers", params={"weeks": 26},
                               headers=browser(cookie))).json()
    assert [(r["provider"], r["attempts"], r["delivered"]) for r in providers["rows"]] == [
        ("=cmd|' /C calc'!A0", 1, 1)]
    assert (await api.get("/api/admin/analytics/providers", params={"weeks": 0},
                          headers=browser(cookie))).status_code == 422


async def test_the_csv_exports_cannot_run_a_formula_in_a_spreadsheet(api: httpx.AsyncClient) -> None:
    _admin, cookie = await asyncio.to_thread(signed_in, Role.ADMIN)
    await asyncio.to_thread(a_provider_named_like_a_formula)
    answer = await api.get("/api/admin/analytics/providers.csv", params={"weeks": 4}, headers=browser(cookie))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="dreampixel-providers-4w.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:3] == ["provider", "attempts", "succeeded"]
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][1] == "1"
    for table in ("cohorts", "funnel"):
        answer = await api.get(f"/api/admin/analytics/{table}.csv", params={"weeks": 4}, headers=browser(cookie))
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert answer.status_code == 200 and len(rows) == 5, table
        assert rows[-1][:2] == [week_start(utcnow()).isoformat(), "2"], table
