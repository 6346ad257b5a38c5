"""The analytics page's three tables: retention by sign-up week, the conversion funnel, provider performance.

None of them counts the generations table at read time. Each submit keeps an account's
milestones and active weeks (`record_submission`); provider calls are rolled up once per
finished day, and per finished hour of the day still running (by when their generation ended,
which cannot change afterwards), so only the current hour is counted live. Callers check the role (services.admin.service.staff).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from dreampixel.core.models import User, utcnow
from services.admin import repository
from services.admin.schemas import (
    CohortRow,
    CohortTable,
    FunnelRow,
    FunnelTable,
    ProviderRow,
    ProviderTable,
)

PERIODS = (4, 8, 12, 26)
MAX_WEEKS = 52
# Latency buckets grow by 5 %: a percentile read from them is within 2.5 % of the exact one.
BUCKET_GROWTH = 1.05
# A generation made just before midnight may commit just after it: a day is rolled up only once
# it has been over for this long; until then it is counted live.
SETTLE = timedelta(minutes=5)
DAY_MARKER = ""


def week_start(moment: date | datetime) -> date:
    """The Monday (UTC) of the week `moment` falls in."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _weeks(weeks: int) -> int:
    return max(1, min(MAX_WEEKS, int(weeks)))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ---- kept by every submit ------------------------------------------------------------------------------


def record_submission(session: Session, *, user: User, at: datetime) -> None:
    """Count a generation `user` just submitted into the funnel's milestones and the retention weeks."""
    repository.record_submission(session, user_id=user.id, signed_up_week=week_start(user.created_at),
                                 week=week_start(at), at=at)


def rebuild(session: Session) -> None:
    """Recount the per-account milestones and active weeks from the generations (after a bulk import)."""
    repository.rebuild_activity(session)


# ---- retention ------------------------------------------------------------------------------------------


def cohorts(session: Session, *, weeks: int = 8, now: datetime | None = None) -> CohortTable:
    """The last `weeks` sign-up weeks, each with the share of its accounts active in week 0, 1, ... since."""
    weeks = _weeks(weeks)
    this_week = week_start(now or utcnow())
    first = this_week - timedelta(weeks=weeks - 1)
    sizes = repository.signups_by_week(session, since=_midnight(first))
    active = repository.active_by_cohort_week(session, first_cohort=first)
    rows = []
    for n in range(weeks):
        cohort = first + timedelta(weeks=n)
        size = sizes.get(cohort, 0)
        counts = [active.get((cohort, cohort + timedelta(weeks=k)), 0) for k in range(weeks - n)]
        rows.append(CohortRow(cohort_week=cohort, users=size, active=counts,
                              retention=[_rate(count, size) for count in counts]))
    return CohortTable(weeks=weeks, rows=rows)


# ---- funnel ---------------------------------------------------------------------------------------------


def funnel(session: Session, *, weeks: int = 8, now: datetime | None = None) -> FunnelTable:
    """Sign-up -> verified -> first generation -> fifth generation -> paid, per sign-up week."""
    weeks = _weeks(weeks)
    first = week_start(now or utcnow()) - timedelta(weeks=weeks - 1)
    counts = repository.funnel_by_week(session, since=_midnight(first))
    rows = []
    for n in range(weeks):
        cohort = first + timedelta(weeks=n)
        signed_up, verified, first_gen, fifth_gen, paid = counts.get(cohort, (0, 0, 0, 0, 0))
        rows.append(FunnelRow(cohort_week=cohort, signed_up=signed_up, verified=verified, first_generation=first_gen,
                              fifth_generation=fifth_gen, paid=paid, verified_rate=_rate(verified, signed_up),
                              first_generation_rate=_rate(first_gen, verified),
                              fifth_generation_rate=_rate(fifth_gen, first_gen), paid_rate=_rate(paid, fifth_gen)))
    return FunnelTable(weeks=weeks, rows=rows)


# ---- providers ------------------------------------------------------------------------------------------


def latency_bucket(ms: int) -> int:
    """Bucket 0 holds 0 ms; bucket b >= 1 holds [1.05^(b-1), 1.05^b) ms."""
    return 0 if ms < 1 else int(math.log(ms) / math.log(BUCKET_GROWTH)) + 1


def bucket_value(bucket: int) -> int:
    """What a bucket reports: the geometric middle of its bounds."""
    return 0 if bucket == 0 else round(BUCKET_GROWTH ** (bucket - 0.5))


def percentile(histogram: dict[int, int], fraction: float) -> int | None:
    """The nearest-rank percentile of a latency histogram; None when it is empty."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(fraction * total)), 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    return bucket_value(max(histogram))  # pragma: no cover (the loop always reaches the rank)


@dataclass
class _Tally:
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    delivered: int = 0
    failovers_out: int = 0
    failovers_in: int = 0
    latency: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: _Tally) -> None:
        for name in ("succeeded", "failed", "skipped", "delivered", "failovers_out", "failovers_in"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for bucket, count in other.latency.items():
            self.latency[bucket] += count


def _tally(ended: Iterable[tuple[str | None, Sequence[dict[str, Any]]]]) -> dict[str, _Tally]:
    """Per provider: its calls by outcome, their latencies, deliveries and failovers."""
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for used, attempts in ended:
        for attempt in attempts:
            name = str(attempt.get("provider") or "unknown")
            outcome = attempt.get("status")
            tally = tallies[name]
            if outcome == "skipped":
                tally.skipped += 1
                continue
            if outcome == "succeeded":
                tally.succeeded += 1
            else:
                tally.failed += 1
            tally.latency[latency_bucket(int(attempt.get("latency_ms") or 0))] += 1
        if used:
            tallies[used].delivered += 1
            first = str(attempts[0].get("provider") or "") if attempts else used
            if first and first != used:
                tallies[first].failovers_out += 1
                tallies[used].failovers_in += 1
    return tallies


def _tallies_by_day(session: Session, *, start: datetime, end: datetime) -> dict[date, dict[str, _Tally]]:
    """Per UTC day and provider, the calls of the generations that ended in [start, end)."""
    by_day: dict[date, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    counted = repository.provider_calls(session, start=start, end=end, growth=BUCKET_GROWTH)
    if counted is None:
        ended: dict[date, list[tuple[str | None, list[dict[str, Any]]]]] = defaultdict(list)
        for at, used, attempts in repository.ended_generations(session, start=start, end=end):
            ended[at.astimezone(UTC).date()].append((used, attempts))
        for day, rows in ended.items():
            by_day[day].update(_tally(rows))
        return by_day
    calls, deliveries = counted
    for day, name, outcome, bucket, count in calls:
        tally = by_day[day][name or "unknown"]
        if outcome == "skipped":
            tally.skipped += count
            continue
        if outcome == "succeeded":
            tally.succeeded += count
        else:
            tally.failed += count
        tally.latency[bucket] += count
    for day, used, first, count in deliveries:
        by_day[day][used].delivered += count
        if first and first != used:
            by_day[day][first].failovers_out += count
            by_day[day][used].failovers_in += count
    return by_day


WHOLE_DAY = 24


def _settled(now: datetime) -> datetime:
    """Everything before this hour is final: no generation can still end in it."""
    return (now - SETTLE).replace(minute=0, second=0, microsecond=0)


def _rows(day: date, hour: int, tallies: dict[str, _Tally]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"day": day, "hour": hour, "provider": DAY_MARKER, "latency": {}}]
    for name, tally in tallies.items():
        rows.append({"day": day, "hour": hour, "provider": name[:32], "calls": tally.succeeded + tally.failed,
                     "succeeded": tally.succeeded, "failed": tally.failed, "skipped": tally.skipped,
                     "delivered": tally.delivered, "failovers_out": tally.failovers_out,
                     "failovers_in": tally.failovers_in,
                     "latency": {str(b): c for b, c in sorted(tally.latency.items())}})
    return rows


def ensure_provider_rollups(session: Session, *, first: date, now: datetime | None = None) -> int:
    """Roll up every settled day from `first`, and the settled hours of the day still running, that
    are not yet; returns how many days and hours were."""
    settled = _settled(now or utcnow())
    partial_day = settled.date()  # its hours before `settled` are final, the day is not
    markers = {(row.day, row.hour) for row in repository.provider_days(session, first=first, last=partial_day)
               if row.provider == DAY_MARKER}
    days = [first + timedelta(days=n) for n in range((partial_day - first).days)]
    days = [day for day in days if (day, WHOLE_DAY) not in markers]
    rows: list[dict[str, Any]] = []
    if days:
        by_day = _tallies_by_day(session, start=_midnight(days[0]), end=_midnight(days[-1] + timedelta(days=1)))
        for day in days:
            rows += _rows(day, WHOLE_DAY, by_day.get(day, {}))
    hours = [hour for hour in range(settled.hour) if first <= partial_day and (partial_day, hour) not in markers]
    for hour in hours:
        start = _midnight(partial_day) + timedelta(hours=hour)
        rows += _rows(partial_day, hour, _tallies_by_day(session, start=start, end=start + timedelta(hours=1))
                      .get(partial_day, {}))
    repository.insert_provider_days(session, rows)
    repository.forget_provider_hours(session, before=partial_day)
    session.flush()
    return len(days) + len(hours)


def providers(session: Session, *, weeks: int = 8, now: datetime | None = None) -> ProviderTable:
    """Per provider over the last `weeks` weeks (today included): calls, success rate, latency, failovers."""
    weeks = _weeks(weeks)
    now = now or utcnow()
    first = now.date() - timedelta(days=7 * weeks - 1)
    ensure_provider_rollups(session, first=first, now=now)
    settled = _settled(now)
    rolled = repository.provider_days(session, first=first, last=settled.date())
    whole_days = {row.day for row in rolled if row.hour == WHOLE_DAY}
    totals: dict[str, _Tally] = defaultdict(_Tally)
    for row in rolled:
        # A day rolled up whole counts once, whatever hourly rows of it another reader has not yet removed.
        if row.provider == DAY_MARKER or (row.hour != WHOLE_DAY and row.day in whole_days):
            continue
        totals[row.provider].add(_Tally(succeeded=row.succeeded, failed=row.failed, skipped=row.skipped,
                                        delivered=row.delivered, failovers_out=row.failovers_out,
                                        failovers_in=row.failovers_in,
                                        latency={int(b): int(c) for b, c in row.latency.items()}))
    live_from = max(_midnight(first), settled)
    for day_tallies in _tallies_by_day(session, start=live_from, end=now + timedelta(seconds=1)).values():
        for name, tally in day_tallies.items():
            totals[name].add(tally)
    rows = [
        ProviderRow(provider=name, attempts=t.succeeded + t.failed + t.skipped, succeeded=t.succeeded, failed=t.failed,
                    skipped=t.skipped, success_rate=_rate(t.succeeded, t.succeeded + t.failed),
                    latency_p50_ms=percentile(t.latency, 0.5), latency_p95_ms=percentile(t.latency, 0.95),
                    latency_p99_ms=percentile(t.latency, 0.99), delivered=t.delivered,
                    failovers_out=t.failovers_out, failovers_in=t.failovers_in)
        for name, t in sorted(totals.items())
    ]
    return ProviderTable(weeks=weeks, since=first, rows=rows)


# ---- export ---------------------------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def cohort_records(table: CohortTable) -> tuple[list[str], list[list[object]]]:
    """Headings and rows: per week the active accounts and their share in percent."""
    headings = ["cohort_week", "users"]
    for k in range(table.weeks):
        headings += [f"week_{k}_active", f"week_{k}_percent"]
    rows: list[list[object]] = []
    for row in table.rows:
        cells: list[object] = [row.cohort_week.isoformat(), row.users]
        for count, rate in zip(row.active, row.retention, strict=True):
            cells += [count, _percent(rate)]
        rows.append(cells + [""] * (len(headings) - len(cells)))
    return headings, rows


def funnel_records(table: FunnelTable) -> tuple[list[str], list[list[object]]]:
    headings = ["cohort_week", "signed_up", "verified", "verified_percent", "first_generation",
                "first_generation_percent", "fifth_generation", "fifth_generation_percent", "paid", "paid_percent"]
    rows: list[list[object]] = [
        [r.cohort_week.isoformat(), r.signed_up, r.verified, _percent(r.verified_rate), r.first_generation,
         _percent(r.first_generation_rate), r.fifth_generation, _percent(r.fifth_generation_rate), r.paid,
         _percent(r.paid_rate)]
        for r in table.rows
    ]
    return headings, rows


def provider_records(table: ProviderTable) -> tuple[list[str], list[list[object]]]:
    headings = ["provider", "attempts", "succeeded", "failed", "skipped", "success_percent", "latency_p50_ms",
                "latency_p95_ms", "latency_p99_ms", "delivered", "failovers_out", "failovers_in"]
    rows: list[list[object]] = [
        [r.provider, r.attempts, r.succeeded, r.failed, r.skipped, _percent(r.success_rate), r.latency_p50_ms,
         r.latency_p95_ms, r.latency_p99_ms, r.delivered, r.failovers_out, r.failovers_in]
        for r in table.rows
    ]
    return headings, rows


def to_csv(headings: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 CSV; no cell can start a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headings])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def to_text(headings: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain aligned table for a terminal."""
    cells = [[str(h) for h in headings], *[["" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headings))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
                     for line in cells)
