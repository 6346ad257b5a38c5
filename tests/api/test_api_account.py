"""/api/v1/account, /account/credits and /account/usage, as a client sees them over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from dreampixel.core.db import uow
from dreampixel.core.models import GenerationStatus, User
from tests.factories import create_generation
from tests.fixtures.api import new_key

PROBLEM = "application/problem+json"
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
ENDPOINTS = ["/api/v1/account", "/api/v1/account/credits", "/api/v1/account/usage"]






async def generate(api: httpx.AsyncClient, key: str, count: int) -> list[str]:
    """`count` 256x256 generations through the API (one credit each), run to the end."""
    ids = []
    for i in range(count):
        response = await api.post(
            "/api/v1/generations",
            headers={"x-api-key": key},
            json={"prompt": f"a paper boat, take {i}", "width": 256, "height": 256},
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    await api.queue.join(timeout=60)  # type: ignore[attr-defined]
    return ids


def add_failed_generation(user_id: str) -> None:
    with uow() as session:
        user = session.get(User, user_id)
        assert user is not None
        create_generation(session, user, status=GenerationStatus.FAILED)


@BOTH
async def test_the_account_shows_the_owner_balance_and_todays_allowance(api: httpx.AsyncClient) -> None:
    key, user_id = await asyncio.to_thread(new_key, name="Ada", email="ada@example.test")
    await generate(api, key, 2)

    response = await api.get("/api/v1/account", headers={"x-api-key": key})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "account" and body["id"] == user_id
    assert (body["email"], body["name"], body["tier"]) == ("ada@example.test", "Ada", "pro")
    assert body["credit_balance"] == 18
    assert body["daily"]["limit"] == 100 and body["daily"]["used"] == 2 and body["daily"]["remaining"] == 98
    assert body["daily"]["resets_at"]
    assert response.headers["x-request-id"] and response.headers["ratelimit-remaining"]


@BOTH
async def test_the_ledger_lists_holds_newest_first_and_pages_by_cursor(api: httpx.AsyncClient) -> None:
    key, _ = await asyncio.to_thread(new_key)
    generation_ids = await generate(api, key, 3)

    first = (await api.get("/api/v1/account/credits?limit=2", headers={"x-api-key": key})).json()
    second = (
        await api.get(f"/api/v1/account/credits?limit=2&cursor={first['next_cursor']}", headers={"x-api-key": key})
    ).json()

    assert first["object"] == "list" and first["has_more"] is True and first["next_cursor"]
    assert second["has_more"] is False and second["next_cursor"] is None
    rows = first["data"] + second["data"]
    assert [(r["reason"], r["delta"], r["balance_after"]) for r in rows] == [
        ("hold", -1, 17),
        ("hold", -1, 18),
        ("hold", -1, 19),
        ("grant", 20, 20),
    ]
    assert [r["generation_id"] for r in rows[:3]] == list(reversed(generation_ids))
    assert rows[3]["reference"] == "signup" and rows[3]["generation_id"] is None
    assert all(r["object"] == "ledger_entry" and r["created_at"] for r in rows)


@BOTH
async def test_usage_is_thirty_utc_days_ending_today_split_by_outcome(api: httpx.AsyncClient) -> None:
    key, user_id = await asyncio.to_thread(new_key)
    await generate(api, key, 2)
    await asyncio.to_thread(add_failed_generation, user_id)

    body = (await api.get("/api/v1/account/usage", headers={"x-api-key": key})).json()

    assert body["object"] == "usage" and body["timezone"] == "UTC" and body["days"] == 30
    assert len(body["data"]) == 30
    dates = [date.fromisoformat(day["date"]) for day in body["data"]]
    assert dates == [dates[0] + timedelta(days=i) for i in range(30)] and dates[-1] == datetime.now(UTC).date()
    today = body["data"][-1]
    assert (today["generations"], today["succeeded"], today["failed"], today["credits_spent"]) == (3, 2, 1, 2)
    assert all(day["generations"] == 0 for day in body["data"][:-1])
    assert body["totals"] == {"generations": 3, "succeeded": 2, "failed": 1, "in_progress": 0, "credits_spent": 2}


async def test_usage_takes_a_shorter_window(api: httpx.AsyncClient) -> None:
    key, _ = await asyncio.to_thread(new_key)
    body = (await api.get("/api/v1/account/usage?days=7", headers={"x-api-key": key})).json()
    assert body["days"] == 7 and len(body["data"]) == 7


async def test_another_users_ledger_and_generations_never_appear(api: httpx.AsyncClient) -> None:
    alice_key, _ = await asyncio.to_thread(new_key, credits_=20)
    bob_key, bob_id = await asyncio.to_thread(new_key, credits_=5)
    await generate(api, alice_key, 2)

    bob = {"x-api-key": bob_key}
    account = (await api.get("/api/v1/account", headers=bob)).json()
    ledger = (await api.get("/api/v1/account/credits", headers=bob)).json()
    usage = (await api.get("/api/v1/account/usage", headers=bob)).json()

    assert account["id"] == bob_id and account["credit_balance"] == 5 and account["daily"]["used"] == 0
    assert [(r["delta"], r["balance_after"]) for r in ledger["data"]] == [(5, 5)]
    assert usage["totals"]["generations"] == 0


async def test_a_cursor_from_another_users_ledger_still_shows_only_your_rows(api: httpx.AsyncClient) -> None:
    alice_key, _ = await asyncio.to_thread(new_key)
    bob_key, _ = await asyncio.to_thread(new_key, credits_=5)
    await generate(api, alice_key, 2)
    alice_first = (await api.get("/api/v1/account/credits?limit=1", headers={"x-api-key": alice_key})).json()

    response = await api.get(
        f"/api/v1/account/credits?cursor={alice_first['next_cursor']}", headers={"x-api-key": bob_key}
    )

    assert [(r["delta"], r["balance_after"]) for r in response.json()["data"]] == [(5, 5)]


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_a_key_without_account_read_is_refused(api: httpx.AsyncClient, path: str) -> None:
    key, _ = await asyncio.to_thread(new_key, scopes=("generations:read", "generations:write"))

    response = await api.get(path, headers={"x-api-key": key})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "insufficient_scope"
    assert "credit_balance" not in response.text and "data" not in response.json()


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_without_a_key_the_answer_is_401_problem(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 401 and response.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/account/credits?limit=0",
        "/api/v1/account/credits?limit=101",
        "/api/v1/account/usage?days=0",
        "/api/v1/account/usage?days=91",
    ],
)
async def test_out_of_range_parameters_are_a_422_problem(api: httpx.AsyncClient, query: str) -> None:
    key, _ = await asyncio.to_thread(new_key)
    response = await api.get(query, headers={"x-api-key": key})
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"]
