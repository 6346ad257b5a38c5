"""The scheduled cleanup, on real storage (a local directory and SeaweedFS): every category of
finished record is deleted, and nothing still in use is."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlmodel import select

from dreampixel.core.db import in_uow, uow
from dreampixel.core.models import (
    AuthSession,
    IdempotencyRecord,
    Image,
    TokenPurpose,
    VerificationToken,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from dreampixel.core.settings import settings
from services.cleanup import service as cleanup
from services.storage import get_storage, reset_storage_cache
from tests.factories import create_generation, create_image, create_seed, create_user
from tests.fixtures.s3 import S3Server

NOW = utcnow()
AGO = {"long": NOW - timedelta(days=40), "recent": NOW - timedelta(hours=1)}


@pytest.fixture(params=["local", "s3"])
def storage_backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    if request.param == "s3":
        server: S3Server = request.getfixturevalue("s3_server")
        monkeypatch.setattr(settings, "s3_endpoint_url", server.endpoint_url)
        monkeypatch.setattr(settings, "s3_access_key_id", server.access_key)
        monkeypatch.setattr(settings, "s3_secret_access_key", SecretStr(server.secret_key))
        monkeypatch.setattr(settings, "s3_bucket_images", server.create_bucket("cleanup"))
    reset_storage_cache()
    yield request.param
    reset_storage_cache()


async def put(key: str) -> str:
    await get_storage().put(key, b"\x89PNG stand-in", content_type="image/png")
    return key


async def stored(key: str) -> bool:
    return await get_storage().exists(key)


def ids(model: type) -> set[str]:
    with uow() as session:
        return {row.id for row in session.exec(select(model)).all()}


def _hash() -> str:
    return secrets.token_hex(32)


async def test_each_finished_category_is_deleted_and_everything_live_is_kept(live_db: Engine,
                                                                             storage_backend: str) -> None:
    with uow() as session:
        user = create_user(session)
        keep: dict[str, str] = {}
        gone: dict[str, str] = {}
        # Idempotency records: past their expiry, and still replayable.
        for name, expires in (("idem_gone", NOW - timedelta(minutes=1)), ("idem_keep", NOW + timedelta(hours=1))):
            record = IdempotencyRecord(owner=user.id, key=name, method="POST", path="/api/v1/generations",
                                       request_hash="0" * 64, expires_at=expires)
            session.add(record)
            (gone if name.endswith("gone") else keep)[name] = record.id
        # Sessions: ended longer ago than the grace period, ended recently, still signed in.
        for name, fields in (("ses_expired", {"expires_at": NOW - timedelta(days=8)}),
                             ("ses_revoked", {"expires_at": NOW + timedelta(days=20),
                                              "revoked_at": NOW - timedelta(days=8)}),
                             ("ses_recently_ended", {"expires_at": NOW - timedelta(days=1)}),
                             ("ses_live", {"expires_at": NOW + timedelta(days=20)})):
            row = AuthSession(user_id=user.id, token_hash=_hash(), **fields)
            session.add(row)
            (gone if name in ("ses_expired", "ses_revoked") else keep)[name] = row.id
        # Tokens: used or expired before the grace period, and one still waiting to be clicked.
        for name, fields in (("tok_used", {"expires_at": NOW + timedelta(hours=20), "used_at": NOW - timedelta(days=2)}),
                             ("tok_expired", {"expires_at": NOW - timedelta(days=2)}),
                             ("tok_live", {"expires_at": NOW + timedelta(hours=20)})):
            token = VerificationToken(user_id=user.id, purpose=TokenPurpose.RESET_PASSWORD, token_hash=_hash(),
                                      **fields)
            session.add(token)
            (keep if name == "tok_live" else gone)[name] = token.id
        # Webhook attempts: beyond retention, and recent.
        delivery = WebhookDelivery(event_id="evt_1", event_type="generation.succeeded", user_id=user.id,
                                   url="https://example.test/hook")
        session.add(delivery)
        session.flush()
        for name, created in (("att_old", NOW - timedelta(days=31)), ("att_recent", NOW - timedelta(days=1))):
            attempt = WebhookAttempt(delivery_id=delivery.id, created_at=created)
            session.add(attempt)
            (gone if name == "att_old" else keep)[name] = attempt.id
        session.flush()
        user_id = user.id

    # Reference uploads: never used and old, used by a generation, shown on a seed, just uploaded.
    def reference(session: object, name: str, created: str) -> Image:
        base = f"references/{user_id}/{name}"
        return create_image(session, user=None, user_id=user_id, storage_key=f"{base}/full.png",  # type: ignore[arg-type]
                            meta={"thumbnail_key": f"{base}/thumb.webp"}, created_at=AGO[created])

    with uow() as session:
        owner = create_user(session)
        orphan = reference(session, "orphan", "long")
        used = reference(session, "used", "long")
        on_seed = reference(session, "seeded", "long")
        fresh = reference(session, "fresh", "recent")
        create_generation(session, owner, reference_image_id=used.id)
        create_seed(session, owner, example_image_ids=[on_seed.id])
        live_generation = create_generation(session, owner)
        # A seed example kept after its generation was deleted (the account's deletion keeps them).
        create_image(session, user=None, storage_key="generations/gen_gone_seeded/0/0/full.png")
        live_generation_id = live_generation.id
        gone_refs = {"ref_orphan": orphan.id}
        kept_refs = {"ref_used": used.id, "ref_seeded": on_seed.id, "ref_fresh": fresh.id}
    for name in ("orphan", "used", "seeded", "fresh"):
        await put(f"references/{user_id}/{name}/full.png")
        await put(f"references/{user_id}/{name}/thumb.webp")
    deleted_files = [await put(f"generations/gen_deleted/{run}/0/{part}") for run in (0, 1)
                     for part in ("full.png", "thumb.webp")]
    live_files = [await put(f"generations/{live_generation_id}/0/0/full.png"),
                  await put("generations/gen_gone_seeded/0/0/full.png")]

    counts = await cleanup.run(unit_of_work=in_uow)

    assert counts == {"idempotency_records": 1, "sessions": 2, "tokens": 2, "webhook_attempts": 1,
                      "reference_uploads": 1, "reference_files": 2, "deleted_generation_files": 4}
    remaining = (ids(IdempotencyRecord) | ids(AuthSession) | ids(VerificationToken) | ids(WebhookAttempt)
                 | ids(Image))
    assert set(keep.values()) | set(kept_refs.values()) <= remaining
    assert not (set(gone.values()) | set(gone_refs.values())) & remaining
    assert not await stored(f"references/{user_id}/orphan/full.png")
    assert not await stored(f"references/{user_id}/orphan/thumb.webp")
    for name in ("used", "seeded", "fresh"):
        assert await stored(f"references/{user_id}/{name}/full.png")
    assert [await stored(key) for key in deleted_files] == [False] * 4
    assert [await stored(key) for key in live_files] == [True, True]


async def test_a_second_pass_finds_nothing_more(live_db: Engine, storage_backend: str) -> None:
    await put("generations/gen_deleted/0/0/full.png")
    first = await cleanup.run(unit_of_work=in_uow)
    again = await cleanup.run(unit_of_work=in_uow)
    assert first["deleted_generation_files"] == 1
    assert set(again.values()) == {0}
