"""Usage warnings: a banner computed when a page loads, and one email per crossing.

The daily limit warns at 80 % and 100 % (one email per UTC day each); credits warn when a
submit takes the balance below `CREDITS_LOW_THRESHOLD` (one email per refill: a grant, purchase
or allowance starts a new one, a returned hold does not).
A `UsageNotice` row keyed by (user, kind, period) records each email sent, so a second
generation past the same line sends nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from sqlmodel import Session

from dreampixel.core.models import Tier, User, utcnow
from dreampixel.core.settings import settings
from services.billing import repository
from services.billing.schemas import UsageWarning
from services.billing.service import renews_on
from services.credits.service import InsufficientCredits
from services.email import notifications
from services.webhooks import service as webhooks

DAILY_WARNING_PERCENT = 80
DailyKind = Literal["daily_limit_80", "daily_limit_100"]


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def daily_kind(*, used: int, limit: int) -> DailyKind | None:
    """Which daily-limit line `used` has reached, if any (100 % wins over 80 %)."""
    if limit <= 0:
        return None
    if used >= limit:
        return "daily_limit_100"
    if used * 100 >= limit * DAILY_WARNING_PERCENT:
        return "daily_limit_80"
    return None


def when_credits_return(*, tier: Tier, now: datetime | None = None) -> str:
    """One sentence on where more credits come from, naming the renewal day when we grant them ourselves."""
    day = renews_on(now)
    allowance = settings.credit_allowance(tier.value)
    if tier is Tier.FREE:
        sentence = f"Your free allowance of {_plural(allowance, 'credit')} renews on {day.day} {day:%B %Y}."
        return f"{sentence} Plans and credit packs add more." if settings.stripe_enabled else sentence
    if settings.stripe_enabled:
        return "Your plan's credits come with its next billing period; credit packs add more now."
    return f"Your {tier.value} allowance of {_plural(allowance, 'credit')} renews on {day.day} {day:%B %Y}."


def banner(*, tier: Tier, credits: int, limit: int, used: int, resets_at: str = "",
           now: datetime | None = None) -> list[UsageWarning]:
    """The warnings the generate and account pages show, most pressing first."""
    warnings: list[UsageWarning] = []
    if credits <= 0:
        warnings.append(UsageWarning(kind="credits_out", message=f"You are out of credits. "
                                     f"{when_credits_return(tier=tier, now=now)}"))
    elif credits < settings.credits_low_threshold:
        warnings.append(UsageWarning(kind="credits_low", message=f"Only {_plural(credits, 'credit')} left. "
                                     f"{when_credits_return(tier=tier, now=now)}"))
    kind = daily_kind(used=used, limit=limit)
    if kind == "daily_limit_100":
        later = f"; the next one is possible at {resets_at}" if resets_at else ""
        warnings.append(UsageWarning(kind=kind, message=f"You have reached your daily limit of "
                                     f"{_plural(limit, 'generation')}{later}."))
    elif kind == "daily_limit_80":
        warnings.append(UsageWarning(kind=kind, message=f"You have used {used} of your {limit} "
                                     "generations for today."))
    return warnings


def banner_line(*, user: User, limit: int, used: int, resets_at: datetime | None,
                now: datetime | None = None) -> str:
    """The pages' banner as one line of text, empty while usage is comfortable."""
    when = f"{resets_at:%H:%M} UTC" if resets_at else ""
    return " ".join(w.message for w in banner(tier=user.tier, credits=user.credit_balance, limit=limit, used=used,
                                               resets_at=when, now=now))


def notify_crossings(session: Session, *, user: User, balance: int, spent: int, used: int, limit: int,
                     now: datetime | None = None) -> list[str]:
    """After a submit that took `spent` credits: email each line it crossed that was not emailed
    for this crossing yet; returns the kinds sent."""
    sent: list[str] = []
    kind = daily_kind(used=used, limit=limit)
    day = (now or utcnow()).astimezone(UTC).date().isoformat()
    if kind and repository.record_notice(session, user_id=user.id, kind=kind, period=day):
        notifications.send_daily_limit(session, to=user.email, name=user.name, used=used, limit=limit)
        sent.append(kind)
    if balance < settings.credits_low_threshold <= balance + spent:
        refill = repository.latest_refill_id(session, user_id=user.id) or "start"
        if repository.record_notice(session, user_id=user.id, kind="credits_low", period=refill):
            notifications.send_credits_low(session, to=user.email, name=user.name, balance=balance)
            webhooks.emit_credits_low(session, user=user, balance=balance, used=used, limit=limit)
            sent.append("credits_low")
    return sent


def out_of_credits(*, user: User, needed: int, now: datetime | None = None) -> InsufficientCredits:
    """The refusal of a submit the balance cannot cover, saying when credits come back."""
    return InsufficientCredits(f"This needs {_plural(needed, 'credit')} and your balance is {user.credit_balance}. "
                               f"{when_credits_return(tier=user.tier, now=now)}")
