"""The admin console's SQL: searching accounts and generations, and what one account holds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, case, cast, delete, func, insert, or_, text, union
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from dreampixel.core.models import (
    ApiKey,
    AuthSession,
    CreditLedger,
    Generation,
    GenerationStatus,
    Invoice,
    LedgerReason,
    ModerationStatus,
    ProviderDailyStat,
    Role,
    Seed,
    Subscription,
    Tier,
    User,
    UserActiveWeek,
    UserActivity,
    UserStatus,
)

USER_SORTS: dict[str, Any] = {
    "newest": col(User.created_at).desc(),
    "oldest": col(User.created_at).asc(),
    "email": col(User.email).asc(),
    "credits": col(User.credit_balance).desc(),
    "last_login": col(User.last_login_at).desc(),
}


def search_users(session: Session, *, q: str = "", tier: str = "", role: str = "", status: str = "",
                 verified: str = "", sort: str = "newest", limit: int = 50, offset: int = 0) -> list[User]:
    """Accounts matching a search (an exact id, or part of the email or name) and the filters."""
    query = select(User)
    needle = q.strip()
    if needle:
        pattern = f"%{needle.lower()}%"
        query = query.where(or_(col(User.id) == needle, col(User.email).like(pattern),
                                func.lower(col(User.name)).like(pattern)))
    if tier in Tier.__members__:
        query = query.where(col(User.tier) == Tier(tier))
    if role in Role.__members__:
        query = query.where(col(User.role) == Role(role))
    if status in UserStatus.__members__:
        query = query.where(col(User.status) == UserStatus(status))
    if verified == "yes":
        query = query.where(col(User.email_verified_at).is_not(None))
    elif verified == "no":
        query = query.where(col(User.email_verified_at).is_(None))
    order = USER_SORTS.get(sort, USER_SORTS["newest"])
    return list(session.exec(query.order_by(order, col(User.id).desc()).offset(offset).limit(limit)).all())


def search_generations(session: Session, *, status: str = "", provider: str = "", user: str = "", q: str = "",
                       since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                       offset: int = 0) -> list[Generation]:
    """Generations matching the filters, newest first; `user` is an id or an email."""
    query = select(Generation)
    if status in {s.value for s in GenerationStatus}:
        query = query.where(col(Generation.status) == GenerationStatus(status))
    if provider.strip():
        name = provider.strip()
        query = query.where(or_(col(Generation.provider_used) == name, col(Generation.provider_requested) == name))
    if user.strip():
        who = user.strip()
        owner = session.exec(select(User.id).where(col(User.email) == who.lower())).first()
        query = query.where(col(Generation.user_id) == (owner or who))
    if q.strip():
        query = query.where(func.lower(col(Generation.prompt)).like(f"%{q.strip().lower()}%"))
    if since is not None:
        query = query.where(col(Generation.created_at) >= since)
    if until is not None:
        query = query.where(col(Generation.created_at) < until)
    query = query.order_by(col(Generation.created_at).desc(), col(Generation.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query).all())


def stuck_generations(session: Session, *, now: datetime, stale_before: datetime, queued_before: datetime,
                      limit: int = 200) -> list[Generation]:
    """Processing past the deadline or without a heartbeat since `stale_before`, or queued since `queued_before`."""
    processing = (col(Generation.status) == GenerationStatus.PROCESSING) & (
        (col(Generation.updated_at) < stale_before) | (col(Generation.deadline_at) <= now))
    queued = (col(Generation.status) == GenerationStatus.QUEUED) & (col(Generation.queued_at) < queued_before)
    query = select(Generation).where(processing | queued).order_by(col(Generation.created_at)).limit(limit)
    return list(session.exec(query).all())


def recent_generations(session: Session, *, user_id: str, limit: int = 20) -> list[Generation]:
    query = select(Generation).where(col(Generation.user_id) == user_id)
    return list(session.exec(query.order_by(col(Generation.created_at).desc()).limit(limit)).all())


def recent_ledger(session: Session, *, user_id: str, limit: int = 20) -> list[CreditLedger]:
    query = select(CreditLedger).where(col(CreditLedger.user_id) == user_id)
    return list(session.exec(query.order_by(col(CreditLedger.created_at).desc(), col(CreditLedger.id).desc())
                             .limit(limit)).all())


def subscription_of(session: Session, *, user_id: str) -> Subscription | None:
    return session.exec(select(Subscription).where(col(Subscription.user_id) == user_id)).first()


def live_sessions(session: Session, *, user_id: str, now: datetime) -> list[AuthSession]:
    query = select(AuthSession).where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None),
                                      col(AuthSession.expires_at) > now)
    return list(session.exec(query.order_by(col(AuthSession.created_at).desc())).all())


def api_keys_of(session: Session, *, user_id: str) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).where(col(ApiKey.user_id) == user_id)
                             .order_by(col(ApiKey.created_at).desc())).all())


def queue_depth(session: Session) -> tuple[int, datetime | None]:
    """How many generations wait in the queue, and when the oldest of them was queued."""
    count, oldest = session.exec(
        select(func.count(), func.min(Generation.queued_at)).where(col(Generation.status) == GenerationStatus.QUEUED)
    ).one()
    return int(count or 0), oldest


def pending_seeds(session: Session, *, limit: int = 50) -> list[tuple[Seed, str | None]]:
    """Seeds waiting for a decision, oldest first, with their creator's email."""
    query = (select(Seed, User.email).join(User, col(User.id) == col(Seed.creator_id), isouter=True)
             .where(col(Seed.moderation_status) == ModerationStatus.PENDING)
             .order_by(col(Seed.created_at)).limit(limit))
    return [(seed, email) for seed, email in session.exec(query).all()]


# ---- analytics ----------------------------------------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def week_of(session: Session, column: Any) -> Any:
    """SQL for the Monday (UTC) of the week `column` falls in."""
    if _dialect(session) == "postgresql":
        return cast(func.date_trunc("week", func.timezone("UTC", column)), Date)
    return func.date(column, "-6 days", "weekday 1")


def as_date(value: date | datetime | str) -> date:
    """A date as either database returns it (SQLite's date() answers text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _insert(session: Session, table: Any) -> Any:
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(table)


def record_submission(session: Session, *, user_id: str, signed_up_week: date, week: date, at: datetime) -> None:
    """Count one submitted generation into the account's milestones and active weeks.

    The submit holds the account's row locked (the credit hold), so one account's submits are
    counted one after another and the fifth is the fifth.
    """
    activity = UserActivity.__table__  # type: ignore[attr-defined]
    upsert = _insert(session, activity).values(user_id=user_id, cohort_week=signed_up_week, generations=1,
                                                first_generation_at=at, fifth_generation_at=None)
    session.execute(upsert.on_conflict_do_update(
        index_elements=["user_id"],
        set_={"generations": activity.c.generations + 1,
              "fifth_generation_at": case((activity.c.generations == 4, upsert.excluded.first_generation_at),
                                          else_=activity.c.fifth_generation_at)},
    ))
    weeks = UserActiveWeek.__table__  # type: ignore[attr-defined]
    session.execute(_insert(session, weeks).values(user_id=user_id, week=week, cohort_week=signed_up_week)
                    .on_conflict_do_nothing(index_elements=["user_id", "week"]))


def rebuild_activity(session: Session) -> None:
    """Recount `user_activity` and `user_active_weeks` from every generation (after a bulk load)."""
    session.execute(delete(UserActiveWeek))
    session.execute(delete(UserActivity))
    numbered = sa_select(
        col(Generation.user_id).label("user_id"), col(Generation.created_at).label("created_at"),
        week_of(session, col(User.created_at)).label("signed_up"),
        func.row_number().over(partition_by=col(Generation.user_id),
                               order_by=(col(Generation.created_at), col(Generation.id))).label("n"),
    ).join(User, col(User.id) == col(Generation.user_id)).subquery()
    session.execute(insert(UserActivity).from_select(
        ["user_id", "cohort_week", "generations", "first_generation_at", "fifth_generation_at"],
        sa_select(numbered.c.user_id, func.min(numbered.c.signed_up), func.count(), func.min(numbered.c.created_at),
                  func.min(case((numbered.c.n == 5, numbered.c.created_at)))).group_by(numbered.c.user_id),
    ))
    session.execute(insert(UserActiveWeek).from_select(
        ["user_id", "week", "cohort_week"],
        select(col(Generation.user_id), week_of(session, col(Generation.created_at)),
               week_of(session, col(User.created_at)))
        .join(User, col(User.id) == col(Generation.user_id)).distinct(),
    ))


def signups_by_week(session: Session, *, since: datetime) -> dict[date, int]:
    week = week_of(session, col(User.created_at))
    rows = session.exec(select(week, func.count()).where(col(User.created_at) >= since).group_by(week)).all()
    return {as_date(w): int(n) for w, n in rows}


def active_by_cohort_week(session: Session, *, first_cohort: date) -> dict[tuple[date, date], int]:
    """(sign-up week, active week) -> accounts that submitted a generation in that week."""
    rows = session.exec(
        select(col(UserActiveWeek.cohort_week), col(UserActiveWeek.week), func.count())
        .where(col(UserActiveWeek.cohort_week) >= first_cohort)
        .group_by(col(UserActiveWeek.cohort_week), col(UserActiveWeek.week))
    ).all()
    return {(as_date(c), as_date(w)): int(n) for c, w, n in rows}


def funnel_by_week(session: Session, *, since: datetime) -> dict[date, tuple[int, int, int, int, int]]:
    """Sign-up week -> accounts signed up, verified, with a first and a fifth generation, and paying.

    Each step counts only accounts that reached the steps before it: submitting needs a confirmed
    address, so every account with a generation is a verified one. Paying: a paid invoice with an
    amount, or a credit pack bought. Three small grouped reads, none joining the users table.
    """
    first_cohort = as_date(since)
    week = week_of(session, col(User.created_at))
    counts: dict[date, list[int]] = {}
    for w, signed_up, verified in session.execute(
        sa_select(week, func.count(), func.count(col(User.email_verified_at)))
        .where(col(User.created_at) >= since).group_by(week)
    ).all():
        counts[as_date(w)] = [int(signed_up), int(verified), 0, 0, 0]
    for w, first, fifth in session.execute(
        sa_select(col(UserActivity.cohort_week), func.count(), func.count(col(UserActivity.fifth_generation_at)))
        .where(col(UserActivity.cohort_week) >= first_cohort).group_by(col(UserActivity.cohort_week))
    ).all():
        counts.setdefault(as_date(w), [0, 0, 0, 0, 0])[2:4] = [int(first), int(fifth)]
    paid = union(
        sa_select(col(Invoice.user_id).label("user_id"))
        .where(col(Invoice.status) == "paid", col(Invoice.amount_paid) > 0, col(Invoice.user_id).is_not(None)),
        sa_select(col(CreditLedger.user_id).label("user_id"))
        .where(col(CreditLedger.reason) == LedgerReason.PURCHASE, col(CreditLedger.user_id).is_not(None)),
    ).subquery()
    for w, paying in session.execute(
        sa_select(col(UserActivity.cohort_week), func.count())
        .join(paid, paid.c.user_id == col(UserActivity.user_id))
        .where(col(UserActivity.cohort_week) >= first_cohort, col(UserActivity.fifth_generation_at).is_not(None))
        .group_by(col(UserActivity.cohort_week))
    ).all():
        counts.setdefault(as_date(w), [0, 0, 0, 0, 0])[4] = int(paying)
    return {w: (c[0], c[1], c[2], c[3], c[4]) for w, c in counts.items()}


def ended_generations(session: Session, *, start: datetime, end: datetime) -> list[tuple[datetime, str | None,
                                                                                          list[dict[str, Any]]]]:
    """(completed_at, provider_used, attempts) of the generations that ended in [start, end)."""
    rows = session.exec(
        select(col(Generation.completed_at), col(Generation.provider_used), col(Generation.attempts))
        .where(col(Generation.completed_at) >= start, col(Generation.completed_at) < end)
    ).all()
    return [(at, provider, list(attempts or [])) for at, provider, attempts in rows if at is not None]


def provider_days(session: Session, *, first: date, last: date) -> list[ProviderDailyStat]:
    """The rolled-up provider rows of [first, last], days and hours, their markers (provider "") included."""
    return list(session.exec(select(ProviderDailyStat).where(col(ProviderDailyStat.day) >= first,
                                                             col(ProviderDailyStat.day) <= last)).all())


def insert_provider_days(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert rolled-up provider rows; a day another request rolled up meanwhile is left as it is."""
    if rows:
        table = ProviderDailyStat.__table__  # type: ignore[attr-defined]
        session.execute(_insert(session, table).values(rows).on_conflict_do_nothing(
            index_elements=["day", "hour", "provider"]))


def forget_provider_hours(session: Session, *, before: date) -> None:
    """Drop the hourly rows of the days before `before`: each is rolled up as a whole day by now."""
    session.execute(delete(ProviderDailyStat).where(col(ProviderDailyStat.day) < before,
                                                    col(ProviderDailyStat.hour) < 24))


# PostgreSQL counts provider calls itself: the rows never travel to Python. `ln` buckets as
# services.admin.analytics.latency_bucket does (5 % wide; 0 ms alone in bucket 0).
_PG_CALLS = text("""
SELECT CAST(g.completed_at AT TIME ZONE 'UTC' AS date) AS day, a.value ->> 'provider' AS provider,
       a.value ->> 'status' AS status,
       CASE WHEN COALESCE((a.value ->> 'latency_ms')::float8, 0) < 1 THEN 0
            ELSE floor(ln((a.value ->> 'latency_ms')::float8) / ln(CAST(:growth AS float8)))::int + 1 END AS bucket,
       count(*) AS calls
FROM generations AS g CROSS JOIN LATERAL jsonb_array_elements(g.attempts) AS a
WHERE g.completed_at >= :start AND g.completed_at < :end
GROUP BY 1, 2, 3, 4
""")
_PG_DELIVERIES = text("""
SELECT CAST(completed_at AT TIME ZONE 'UTC' AS date) AS day, provider_used, attempts -> 0 ->> 'provider' AS first,
       count(*) AS delivered
FROM generations
WHERE completed_at >= :start AND completed_at < :end AND provider_used IS NOT NULL
GROUP BY 1, 2, 3
""")


def provider_calls(session: Session, *, start: datetime, end: datetime,
                   growth: float) -> tuple[list[tuple[date, str | None, str | None, int, int]],
                                           list[tuple[date, str, str | None, int]]] | None:
    """On PostgreSQL: (day, provider, status, latency bucket, calls) and (day, provider used, first tried,
    generations) for the generations that ended in [start, end). None elsewhere (count them in Python)."""
    if _dialect(session) != "postgresql":
        return None
    window = {"start": start, "end": end}
    # A week of calls is costly enough on paper for the JIT, whose compiling alone takes seconds.
    session.execute(text("SET LOCAL jit = off"))
    calls = [(as_date(d), p, s, int(b), int(n))
             for d, p, s, b, n in session.execute(_PG_CALLS, {**window, "growth": growth}).all()]
    deliveries = [(as_date(d), str(used), first, int(n))
                  for d, used, first, n in session.execute(_PG_DELIVERIES, window).all()]
    return calls, deliveries
