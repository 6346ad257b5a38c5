"""The analytics migration counts the generations that exist into the per-account tables."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, text

from tests.core.test_migrations import BOTH, alembic, empty_engine  # noqa: F401  (fixture)

BEFORE = "e3b8d5a1c0f7"  # the revision before the analytics tables


def add(engine: Engine, user_id: str, signed_up: str, *made: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, email, name, tier, role, status, credit_balance, email_verified_at, "
            "failed_login_count, created_at, updated_at) VALUES (:id, :email, 'x', 'FREE', 'USER', 'ACTIVE', 0, "
            ":at, 0, :at, :at)"), {"id": user_id, "email": f"{user_id}@example.test", "at": signed_up})
        for n, at in enumerate(made):
            connection.execute(text(
                "INSERT INTO generations (id, user_id, prompt, negative_prompt, width, height, steps, guidance_scale, "
                "num_variations, settings, attempts, metadata, created_at, updated_at) VALUES (:id, :user_id, 'p', "
                "'', 512, 512, 30, 7.5, 1, '{}', '[]', '{}', :at, :at)"),
                {"id": f"gen_{user_id}_{n}", "user_id": user_id, "at": at})


@BOTH
def test_upgrading_counts_existing_generations_by_account_and_week(empty_engine: Engine) -> None:  # noqa: F811
    alembic(empty_engine, command.upgrade, BEFORE)
    # Sunday 22 November is still the week of Monday 16 November.
    add(empty_engine, "usr_a", "2026-11-22 23:00:00+00:00", *[f"2026-11-{d} 10:00:00+00:00" for d in (22, 23, 24,
                                                                                                      25, 30, 30)])
    add(empty_engine, "usr_b", "2026-11-30 08:00:00+00:00", "2026-11-30 09:00:00+00:00")
    add(empty_engine, "usr_c", "2026-11-30 08:00:00+00:00")
    alembic(empty_engine, command.upgrade, "head")
    with empty_engine.connect() as connection:
        activity = connection.execute(text(
            "SELECT user_id, cohort_week, generations, fifth_generation_at IS NOT NULL FROM user_activity "
            "ORDER BY user_id")).all()
        weeks = connection.execute(text(
            "SELECT user_id, week, cohort_week FROM user_active_weeks ORDER BY user_id, week")).all()
    assert [(u, str(c), n, fifth) for u, c, n, fifth in activity] == [
        ("usr_a", "2026-11-16", 6, True), ("usr_b", "2026-11-30", 1, False)]
    assert [(u, str(w), str(c)) for u, w, c in weeks] == [
        ("usr_a", "2026-11-16", "2026-11-16"), ("usr_a", "2026-11-23", "2026-11-16"),
        ("usr_a", "2026-11-30", "2026-11-16"), ("usr_b", "2026-11-30", "2026-11-30")]
