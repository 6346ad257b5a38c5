"""Without Redis the app's in-process timer runs the cleanup too (the worker's cron is in tests/cli/test_worker_health.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from dreampixel.core.db import uow
from dreampixel.core.models import IdempotencyRecord, utcnow
from dreampixel.core.settings import settings
from services.storage import reset_storage_cache
from workers import in_process


def remaining_keys() -> list[str]:
    with uow() as session:
        return sorted(session.exec(select(IdempotencyRecord.key)).all())


async def test_the_in_process_timer_deletes_expired_records(live_db: Engine, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    reset_storage_cache()
    with uow() as session:
        for key, expires in (("expired", utcnow() - timedelta(minutes=5)), ("live", utcnow() + timedelta(hours=1))):
            session.add(IdempotencyRecord(owner="usr_x", key=key, method="POST", path="/api/v1/generations",
                                          request_hash="0" * 64, expires_at=expires))
    queue = await in_process.start(reap_every=60)
    try:
        async with asyncio.timeout(30):
            while await asyncio.to_thread(remaining_keys) != ["live"]:
                await asyncio.sleep(0.05)
    finally:
        await in_process.stop(queue)
        reset_storage_cache()
