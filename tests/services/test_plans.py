"""Plans: each tier's limits as people read them, and the signed-in user's current plan."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dreampixel.core.errors import Forbidden, NotFound
from dreampixel.core.models import Tier, UserStatus
from services.plans import service as plans
from tests.factories import create_user


def test_every_tier_is_listed_with_its_daily_allowance() -> None:
    listed = plans.all_limits()

    assert [limits.tier for limits in listed] == [tier.value for tier in Tier]
    assert all(limits.generations.endswith("/ day") for limits in listed)


def test_the_current_plan_is_the_users_tier_and_balance(session: Session) -> None:
    user = create_user(session, tier=Tier.PRO, credit_balance=42)

    plan = plans.current_plan(session, user_id=user.id)

    assert (plan.tier, plan.credits) == ("PRO", 42)
    assert plan.generations == plans.limits("PRO").generations


def test_a_deleted_account_has_no_plan(session: Session) -> None:
    with pytest.raises(NotFound):
        plans.current_plan(session, user_id="no-such-user")


def test_a_suspended_account_is_refused(session: Session) -> None:
    user = create_user(session, status=UserStatus.SUSPENDED)

    with pytest.raises(Forbidden) as refused:
        plans.current_plan(session, user_id=user.id)
    assert refused.value.code == "account_suspended"
