"""What the data model promises every caller, checked on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel, col, select

import dreampixel.core.models as models
from dreampixel.core.db import uow
from dreampixel.core.models import (
    ApiKeyPublic,
    GenerationCreate,
    GenerationStatus,
    IdempotencyRecord,
    User,
    UserCreate,
    UserPublic,
    WebhookEndpointPublic,
    new_id,
    utcnow,
)
from dreampixel.core.models import base as models_base
from dreampixel.core.settings import settings
from tests.factories import create_generation, create_user

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
CROCKFORD = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
SECRET_FIELDS = {"password_hash", "key_hash", "token_hash", "secret_ciphertext", "secret", "key"}


def table_classes() -> list[type[SQLModel]]:
    return [
        c for c in vars(models).values() if isinstance(c, type) and issubclass(c, SQLModel) and hasattr(c, "__table__")
    ]


# --- ids ---------------------------------------------------------------------------------------


def test_an_id_is_its_prefix_and_26_crockford_characters() -> None:
    prefix, _, rest = new_id("gen").partition("_")
    assert prefix == "gen"
    assert CROCKFORD.fullmatch(rest)


def test_ids_sort_in_the_order_they_were_made() -> None:
    ids = [new_id("gen") for _ in range(5000)]  # many share a millisecond
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_keep_increasing_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    # Patched on the module, so the generator's memory of the last id is restored afterwards.
    now = models_base._clock_millis()
    monkeypatch.setattr(models_base, "_last_millis", models_base._last_millis)
    monkeypatch.setattr(models_base, "_clock_millis", lambda: now + 1000)
    first = new_id("gen")
    monkeypatch.setattr(models_base, "_clock_millis", lambda: now + 995)
    assert new_id("gen") > first


def test_an_id_starts_with_the_millisecond_it_was_made() -> None:
    before = datetime.now(UTC)
    encoded = new_id("gen")[4:14]  # the first 10 characters hold the 48-bit time
    millis = 0
    for char in encoded:
        millis = millis * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    made = datetime.fromtimestamp(millis / 1000, UTC)
    assert before - timedelta(milliseconds=1) <= made <= datetime.now(UTC)


def test_every_table_has_its_own_id_prefix() -> None:
    prefixes = {}
    for table in table_classes():
        field = table.model_fields.get("id")
        if field is None:  # seed_favorites is keyed by (user_id, seed_id)
            continue
        prefixes[table.__name__] = table().id.split("_")[0]  # type: ignore[attr-defined]
    assert len(set(prefixes.values())) == len(prefixes), prefixes
    assert prefixes["User"] == "usr" and prefixes["Generation"] == "gen" and prefixes["ApiKey"] == "key"


# --- timestamps --------------------------------------------------------------------------------


@BOTH
def test_an_aware_datetime_comes_back_as_the_same_instant_in_utc(session: Session) -> None:
    in_paris = datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    user = create_user(session, last_login_at=in_paris)
    session.expunge_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.last_login_at is not None
    assert stored.last_login_at == in_paris
    assert stored.last_login_at.utcoffset() == timedelta(0)
    assert stored.last_login_at.hour == 1


@BOTH
def test_a_naive_datetime_is_refused(session: Session) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        create_user(session, last_login_at=datetime(2030, 1, 1, 12, 0))


@BOTH
def test_updated_at_moves_when_a_row_changes(session: Session) -> None:
    long_ago = utcnow() - timedelta(days=1)
    user = create_user(session, updated_at=long_ago)
    user.name = "Renamed"
    session.flush()
    session.refresh(user)
    assert user.updated_at > long_ago + timedelta(hours=23)


# --- constraints -------------------------------------------------------------------------------


@BOTH
def test_a_negative_credit_balance_is_refused(session: Session) -> None:
    user = create_user(session, credit_balance=3)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(User).where(col(User.id) == user.id).values(credit_balance=col(User.credit_balance) - 4))
    session.refresh(user)
    assert user.credit_balance == 3


@BOTH
def test_two_users_cannot_share_an_email(session: Session) -> None:
    create_user(session, email="ada@example.test")
    with pytest.raises(IntegrityError), session.begin_nested():
        create_user(session, email="ada@example.test")


@BOTH
def test_emails_are_stored_lowercase_so_case_cannot_dodge_uniqueness(session: Session) -> None:
    user = create_user(session, email="Ada@Example.TEST")
    stored = session.execute(text("SELECT email FROM users WHERE id = :id"), {"id": user.id}).scalar()
    assert stored == "ada@example.test"
    with pytest.raises(IntegrityError), session.begin_nested():
        create_user(session, email="ADA@example.test")


@BOTH
def test_looking_a_user_up_by_email_ignores_case(session: Session) -> None:
    user = create_user(session, email="ada@example.test")
    assert session.exec(select(User.id).where(User.email == " Ada@EXAMPLE.test")).one() == user.id


@BOTH
def test_generations_without_an_idempotency_key_are_not_constrained(session: Session) -> None:
    user = create_user(session)
    for _ in range(3):
        create_generation(session, user, idempotency_key=None)


@BOTH
def test_one_user_cannot_reuse_an_idempotency_key(session: Session) -> None:
    user = create_user(session)
    create_generation(session, user, idempotency_key="order-42")
    with pytest.raises(IntegrityError), session.begin_nested():
        create_generation(session, user, idempotency_key="order-42")


@BOTH
def test_two_users_may_use_the_same_idempotency_key(session: Session) -> None:
    create_generation(session, create_user(session), idempotency_key="order-42")
    create_generation(session, create_user(session), idempotency_key="order-42")


# --- column types ------------------------------------------------------------------------------


@BOTH
def test_enums_are_stored_as_their_values_and_read_back_as_members(session: Session) -> None:
    generation = create_generation(session, create_user(session), status=GenerationStatus.PROCESSING)
    raw = session.execute(text("SELECT status FROM generations WHERE id = :id"), {"id": generation.id}).scalar()
    assert raw == "processing"
    session.expunge_all()
    assert session.exec(select(models.Generation.status)).one() is GenerationStatus.PROCESSING


@BOTH
def test_json_round_trips_and_none_is_sql_null(session: Session) -> None:
    generation = create_generation(session, create_user(session), settings={"style": "noir", "sizes": [1, 2]})
    record = IdempotencyRecord(
        owner="usr_x",
        key="k",
        method="POST",
        path="/api/v1/generations",
        request_hash="h",
        expires_at=utcnow(),
        response_body=None,
    )
    session.add(record)
    session.flush()
    session.expunge_all()
    assert session.get(models.Generation, generation.id).settings == {"style": "noir", "sizes": [1, 2]}  # type: ignore[union-attr]
    assert session.execute(text("SELECT count(*) FROM idempotency_records WHERE response_body IS NULL")).scalar() == 1


# --- schemas -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema", [c for n, c in vars(models).items() if n.endswith("Public")], ids=lambda c: c.__name__
)
def test_public_schemas_carry_no_secret(schema: type[SQLModel]) -> None:
    assert not SECRET_FIELDS & set(schema.model_fields)


def test_the_public_user_is_exactly_what_the_ui_may_show() -> None:
    assert set(UserPublic.model_fields) == {
        "id",
        "email",
        "name",
        "tier",
        "role",
        "status",
        "credit_balance",
        "email_verified_at",
        "last_login_at",
        "created_at",
    }


def test_the_public_api_key_shows_its_prefix_but_not_its_hash() -> None:
    assert set(ApiKeyPublic.model_fields) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "expires_at",
        "daily_credit_cap",
        "last_used_at",
        "revoked_at",
        "created_at",
    }


def test_the_public_webhook_endpoint_has_no_secret() -> None:
    assert set(WebhookEndpointPublic.model_fields) == {
        "id",
        "url",
        "description",
        "events",
        "enabled",
        "disabled_reason",
        "consecutive_failures",
        "created_at",
        "updated_at",
    }


@BOTH
def test_a_user_row_converts_to_its_public_schema_without_the_hash(session: Session) -> None:
    user = create_user(session)
    dumped = UserPublic.model_validate(user).model_dump()
    assert dumped["id"] == user.id
    assert "password_hash" not in dumped


def test_user_create_normalizes_the_email_and_refuses_a_non_address() -> None:
    assert UserCreate(email=" Ada@Example.Test ", password="correct horse").email == "ada@example.test"
    with pytest.raises(ValidationError):
        UserCreate(email="not-an-address", password="correct horse")


@pytest.mark.parametrize(
    "change",
    [
        {"width": 500},
        {"height": 8192},
        {"num_variations": 5},
        {"guidance_scale": 31},
        {"steps": 0},
        {"output_format": "gif"},
        {"prompt": "   "},
    ],
    ids=str,
)
def test_generation_create_refuses_out_of_range_requests(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        GenerationCreate.model_validate({"prompt": "a red fox"} | change)


def test_generation_create_refuses_a_prompt_over_the_configured_length() -> None:
    GenerationCreate(prompt="x" * settings.max_prompt_length)
    with pytest.raises(ValidationError, match="longer than"):
        GenerationCreate(prompt="x" * (settings.max_prompt_length + 1))


# --- the session fixture -----------------------------------------------------------------------
# These two run in this order (pytest keeps file order): what the first commits through a unit
# of work must be gone when the second starts.

PROBE_EMAIL = "rollback-probe@example.test"


@BOTH
def test_rollback_probe_a_unit_of_work_inside_a_test_commits_into_it(session: Session) -> None:
    with uow() as work:
        work.add(User(email=PROBE_EMAIL))
    assert session.exec(select(User).where(User.email == PROBE_EMAIL)).one()


@BOTH
def test_rollback_probe_the_next_test_starts_without_it(session: Session) -> None:
    assert session.exec(select(User).where(User.email == PROBE_EMAIL)).first() is None
