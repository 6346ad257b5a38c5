"""The dashboard's numbers: finished days come from `daily_stats` (rolled up once), today is counted live.

Counting a finished day again would scan a million generations for an answer that cannot
change; each day is rolled up the first time a dashboard (or `python -m dreampixel rollup`)
asks for it, marked by a `rolled_up` row so an empty day is not recounted either.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from dreampixel.core.models import (
    AuthSession,
    DailyStat,
    Generation,
    GenerationStatus,
    Invoice,
    Subscription,
    SubscriptionStatus,
    User,
    utcnow,
)
from services.admin import repository
from services.admin.schemas import AdminStats, DayPoint

CHART_DAYS = 14
# Enough recent completions for stable percentiles without reading a day's worth of rows.
PERCENTILE_SAMPLE = 5000
ENDED_BADLY = (GenerationStatus.FAILED.value, GenerationStatus.EXPIRED.value)
LIVE_SUBSCRIPTIONS = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _count_day(session: Session, start: datetime, end: datetime) -> dict[tuple[str, str], int]:
    """(metric, key) -> value for the generations and sign-ups created in [start, end)."""
    values: dict[tuple[str, str], int] = defaultdict(int)
    in_range = (col(Generation.created_at) >= start) & (col(Generation.created_at) < end)
    rows = session.exec(
        select(Generation.status, Generation.provider_used, func.count(), func.coalesce(func.sum(Generation.credits_charged), 0))
        .where(in_range).group_by(col(Generation.status), col(Generation.provider_used))
    ).all()
    for status, provider, count, charged in rows:
        status_value = GenerationStatus(status).value
        values[("generations", status_value)] += int(count)
        values[("credits_charged", "")] += int(charged)
        if provider and status_value in (GenerationStatus.SUCCEEDED.value, *ENDED_BADLY):
            values[("provider", provider)] += int(count)
            if status_value in ENDED_BADLY:
                values[("provider_failed", provider)] += int(count)
    signups = session.exec(select(func.count()).select_from(User)
                           .where(col(User.created_at) >= start, col(User.created_at) < end)).one()
    values[("signups", "")] += int(signups)
    return values


def rollup_day(session: Session, day: date) -> None:
    """Count one finished UTC day into `daily_stats`, replacing what was there."""
    values = _count_day(session, _start(day), _start(day + timedelta(days=1)))
    session.execute(delete(DailyStat).where(col(DailyStat.day) == day))
    rows = [{"day": day, "metric": metric, "key": key, "value": value} for (metric, key), value in values.items()]
    rows.append({"day": day, "metric": "rolled_up", "key": "", "value": 1})
    session.execute(insert(DailyStat), rows)


def ensure_rollups(session: Session, *, days: int = CHART_DAYS, today: date | None = None) -> int:
    """Roll up the last `days` finished days that are not yet; returns how many were."""
    today = today or utcnow().date()
    wanted = {today - timedelta(days=n) for n in range(1, days + 1)}
    done = set(session.exec(select(col(DailyStat.day)).where(col(DailyStat.metric) == "rolled_up",
                                                       col(DailyStat.day).in_(wanted))).all())
    missing = sorted(wanted - done)
    for day in missing:
        rollup_day(session, day)
    session.flush()
    return len(missing)


def _series(session: Session, first: date, today: date) -> dict[date, dict[tuple[str, str], int]]:
    by_day: dict[date, dict[tuple[str, str], int]] = defaultdict(dict)
    for row in session.exec(select(DailyStat).where(col(DailyStat.day) >= first, col(DailyStat.day) < today)).all():
        by_day[row.day][(row.metric, row.key)] = int(row.value)
    by_day[today] = dict(_count_day(session, _start(today), _start(today + timedelta(days=1))))
    return by_day


def _percentile(values: list[int], fraction: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def dashboard(session: Session, *, now: datetime | None = None, days: int = CHART_DAYS) -> AdminStats:
    """Every number of the dashboard; callers check the role (services.admin.service.staff)."""
    now = now or utcnow()
    today = now.date()
    ensure_rollups(session, days=max(days, 30), today=today)
    by_day = _series(session, today - timedelta(days=29), today)

    def total(metric: str, key: str | None, span: int) -> int:
        return sum(value for day, values in by_day.items() if (today - day).days < span
                   for (m, k), value in values.items() if m == metric and (key is None or k == key))

    def count_users(**where: datetime) -> int:
        query = select(func.count()).select_from(User)
        if "since" in where:
            query = query.where(col(User.created_at) >= where["since"])
        return int(session.exec(query).one())

    active = session.exec(select(func.count(func.distinct(AuthSession.user_id)))
                          .where(col(AuthSession.last_used_at) >= now - timedelta(days=7))).one()
    succeeded = total("generations", GenerationStatus.SUCCEEDED.value, 7)
    ended = succeeded + sum(total("generations", status, 7) for status in ENDED_BADLY)
    times = [int(ms) for ms in session.exec(
        select(Generation.processing_time_ms)
        .where(col(Generation.status) == GenerationStatus.SUCCEEDED, col(Generation.processing_time_ms).is_not(None),
               col(Generation.completed_at) >= now - timedelta(days=7))
        .order_by(col(Generation.completed_at).desc()).limit(PERCENTILE_SAMPLE)
    ).all() if ms is not None]
    depth, _oldest = repository.queue_depth(session)
    processing = session.exec(select(func.count()).select_from(Generation)
                              .where(col(Generation.status) == GenerationStatus.PROCESSING)).one()
    tiers = {str(tier): int(count) for tier, count in session.exec(
        select(Subscription.tier, func.count()).where(col(Subscription.status).in_(LIVE_SUBSCRIPTIONS))
        .group_by(col(Subscription.tier))).all()}
    month_ago = now - timedelta(days=30)
    revenue = session.exec(select(func.coalesce(func.sum(Invoice.amount_paid), 0))
                           .where(col(Invoice.created_at) >= month_ago, col(Invoice.status) == "paid")).one()
    # MRR: what subscribers still active paid in the last 30 days (monthly plans, one invoice each).
    mrr = session.exec(
        select(func.coalesce(func.sum(Invoice.amount_paid), 0))
        .join(Subscription, col(Subscription.user_id) == col(Invoice.user_id))
        .where(col(Invoice.created_at) >= month_ago, col(Invoice.status) == "paid",
               col(Subscription.status).in_(LIVE_SUBSCRIPTIONS))
    ).one()

    chart_days = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    statuses = [s.value for s in GenerationStatus]
    providers: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    for day in chart_days:
        for (metric, key), value in by_day.get(day, {}).items():
            if metric == "provider":
                providers[key] += value
            elif metric == "provider_failed":
                failed[key] += value
    return AdminStats(
        users_total=count_users(),
        users_new_today=count_users(since=_start(today)),
        users_new_7d=count_users(since=now - timedelta(days=7)),
        users_new_30d=count_users(since=now - timedelta(days=30)),
        users_active_7d=int(active),
        generations_today=total("generations", None, 1),
        generations_7d=total("generations", None, 7),
        success_rate_7d=round(succeeded / ended, 4) if ended else None,
        processing_p50_ms=_percentile(times, 0.5),
        processing_p95_ms=_percentile(times, 0.95),
        queue_depth=depth,
        processing_now=int(processing),
        credits_spent_7d=total("credits_charged", "", 7),
        subscriptions_by_tier=tiers,
        mrr_cents=int(mrr),
        revenue_30d_cents=int(revenue),
        generations_per_day=[
            DayPoint(day=day.isoformat(), values={s: by_day.get(day, {}).get(("generations", s), 0) for s in statuses})
            for day in chart_days],
        signups_per_day=[DayPoint(day=day.isoformat(), values={"signups": by_day.get(day, {}).get(("signups", ""), 0)})
                         for day in chart_days],
        provider_share=dict(providers),
        provider_failure_rate={name: round(failed[name] / count, 4) for name, count in providers.items() if count},
    )
