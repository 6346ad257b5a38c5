"""Usage warnings: one email per crossing of the daily limit's 80 % and 100 % and of the low-credit
threshold (not one per generation), a banner that says so, and an out-of-credits refusal that says
when the free allowance renews."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from dreampixel.core.models import GenerationCreate, LedgerReason, Tier, User
from dreampixel.core.settings import settings
from services.billing import warnings
from services.credits import service as credits
from services.credits.service import InsufficientCredits
from services.generation import service as generations
from tests.factories import create_user
from tests.fixtures.accounts import Outbox


@pytest.fixture(autouse=True)
def thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "credits_low_threshold", 5)
    monkeypatch.setattr(settings, "credits_free_monthly", 30)
    monkeypatch.setattr(settings, "generation_limit_pro", 10)
    monkeypatch.setattr(settings, "stripe_secret_key", settings.stripe_secret_key.__class__(""))


def submit(session: Session, user: User) -> None:
    session.refresh(user)
    generations.submit(session, user=user, request=GenerationCreate(prompt="a quiet harbour", width=256, height=256))


def kinds(outbox: Outbox, user: User) -> list[str]:
    return [message["tags"]["kind"] for message in outbox.to(user.email)]


def test_falling_below_the_low_credit_threshold_sends_one_email_not_one_per_generation(
    session: Session, outbox: Outbox
) -> None:
    user = create_user(session, tier=Tier.PRO)
    credits.grant(session, user_id=user.id, amount=7)
    for _ in range(3):  # 6, 5, then 4: below 5
        submit(session, user)
    # A failed generation's hold comes back (5), and the next submit goes below the line again.
    credits.grant(session, user_id=user.id, amount=1, reason=LedgerReason.RELEASE, reference="gen_failed")
    for _ in range(3):  # 4, 3, 2
        submit(session, user)
    assert kinds(outbox, user) == ["credits_low"]


def test_a_refill_lets_the_next_fall_below_the_threshold_warn_again(session: Session, outbox: Outbox) -> None:
    user = create_user(session, tier=Tier.PRO)
    credits.grant(session, user_id=user.id, amount=5)
    submit(session, user)  # 4
    submit(session, user)  # 3
    credits.grant(session, user_id=user.id, amount=3, reason=LedgerReason.PURCHASE, reference="cs_pack")
    submit(session, user)  # 5: not below the threshold yet
    assert kinds(outbox, user) == ["credits_low"]
    submit(session, user)  # 4
    assert kinds(outbox, user) == ["credits_low", "credits_low"]


def test_the_daily_limit_warns_once_at_80_and_once_at_100_percent(session: Session, outbox: Outbox) -> None:
    user = create_user(session, tier=Tier.PRO)
    credits.grant(session, user_id=user.id, amount=100)
    for _ in range(10):
        submit(session, user)
    daily = [m for m in outbox.to(user.email) if m["tags"]["kind"] == "daily_limit"]
    assert [m["subject"] for m in daily] == ["You used most of today's generations",
                                            "You reached today's Dream Pixel limit"]
    assert "8 of your 10" in daily[0]["text"] and "10 of your 10" in daily[1]["text"]
    assert f"{settings.base_url}/pricing" in daily[1]["text"] and daily[1]["html"].startswith("<!doctype html>")


def test_running_out_without_billing_says_when_the_free_allowance_renews(session: Session) -> None:
    user = create_user(session)
    with pytest.raises(InsufficientCredits) as refused:
        submit(session, user)
    assert "Your free allowance of 30 credits renews on " in refused.value.message
    assert refused.value.status_code == 402


def test_the_banner_names_low_credits_and_a_nearly_used_daily_limit() -> None:
    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    banner = warnings.banner(tier=Tier.FREE, credits=3, limit=10, used=8, now=now)
    assert [w.kind for w in banner] == ["credits_low", "daily_limit_80"]
    assert banner[0].message == "Only 3 credits left. Your free allowance of 30 credits renews on 1 January 2027."
    assert banner[1].message == "You have used 8 of your 10 generations for today."


def test_the_banner_says_when_the_daily_limit_frees_up_and_credits_are_out() -> None:
    banner = warnings.banner(tier=Tier.FREE, credits=0, limit=1, used=1, resets_at="Dec 06, 09:15 UTC",
                             now=datetime(2026, 12, 5, 12, 0, tzinfo=UTC))
    assert [w.message for w in banner] == [
        "You are out of credits. Your free allowance of 30 credits renews on 1 January 2027.",
        "You have reached your daily limit of 1 generation; the next one is possible at Dec 06, 09:15 UTC.",
    ]


def test_no_banner_while_usage_is_comfortable() -> None:
    assert warnings.banner(tier=Tier.PRO, credits=50, limit=100, used=79) == []
