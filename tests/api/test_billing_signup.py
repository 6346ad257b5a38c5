"""A new account can generate right after its email is verified: the FREE allowance is granted then."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from dreampixel.core.db import uow
from dreampixel.core.settings import settings
from services.accounts import service as accounts
from services.accounts import signup, verification
from services.api_keys import service as api_keys
from tests.fixtures.accounts import PASSWORD, Outbox


def sign_up_and_verify(outbox: Outbox, email: str) -> tuple[str, int]:
    """Sign up, follow the emailed link, and create an API key; returns (key, balance)."""
    with uow() as session:
        assert signup.sign_up(session, email=email, password=PASSWORD, name="Ada") is not None
    with uow() as session:
        assert verification.verify(session, outbox.last_token(email)).outcome == "verified"
    with uow() as session:
        user = accounts.get_by_email(session, email)
        assert user is not None
        _key, plaintext = api_keys.create_key(session, user_id=user.id, name="first",
                                              scopes=list(api_keys.DEFAULT_SCOPES))
        return plaintext, user.credit_balance


async def test_a_new_user_generates_a_first_image_right_after_verifying(
    api: httpx.AsyncClient, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "credits_free_monthly", 30)
    key, balance = await asyncio.to_thread(sign_up_and_verify, outbox, "first-image@example.test")
    assert balance == 30, "verifying grants the FREE allowance at once"

    created = await api.post("/api/v1/generations", headers={"x-api-key": key, "Prefer": "wait=30"},
                             json={"prompt": "a red kite over green hills", "width": 512, "height": 512})
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "succeeded"
    account = (await api.get("/api/v1/account", headers={"x-api-key": key})).json()
    assert account["credit_balance"] == 29
