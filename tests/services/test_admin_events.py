"""The admin channel: what the open dashboard hears, so it refreshes by push instead of polling."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine

from dreampixel.core.db import uow
from dreampixel.core.models import Role
from services.accounts.service import create_user as sign_up_user
from services.admin import service
from services.events import service as events
from tests.factories import create_generation, create_user


async def heard(count: int, action: Any) -> list[dict[str, Any]]:
    """The first `count` admin-channel events after `action` runs (in a thread, as an edge does)."""
    received: list[dict[str, Any]] = []
    async with events.subscribe(events.ADMIN_CHANNEL) as stream:
        await asyncio.to_thread(action)

        async def take() -> None:
            async for event in stream:
                received.append(event)
                if len(received) == count:
                    return

        await asyncio.wait_for(take(), 5)
    return received


async def test_a_sign_up_is_announced_on_the_admin_channel(live_db: Engine) -> None:
    def sign_up() -> None:
        with uow() as session:
            sign_up_user(session, email="new@example.test", password="a-long-enough-passphrase-42")

    assert await heard(1, sign_up) == [{"type": "user.signed_up"}]


async def test_a_generation_status_change_is_announced_on_the_admin_channel(live_db: Engine) -> None:
    def cancel() -> None:
        with uow() as session:
            admin = create_user(session, role=Role.ADMIN)
            generation = create_generation(session, create_user(session))
            service.cancel_generation(session, actor=admin, generation_id=generation.id)

    assert await heard(1, cancel) == [{"type": "generation.canceled"}]
