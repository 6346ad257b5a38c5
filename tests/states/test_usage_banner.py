"""The usage banner the generate page and the account page show, read through their edges."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dreampixel.core.models import Tier
from dreampixel.core.settings import settings
from services.credits import service as credits
from states.edge import credits as credits_edge
from states.edge import generation as generation_edge
from states.edge.accounts import Viewer
from tests.factories import create_user


def viewer_of(user_id: str) -> Viewer:
    return Viewer(user_id=user_id, session_id="ses_test", name="Ada", email="ada@example.test", role="USER",
                  verified=True)


@pytest.fixture(autouse=True)
def threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "credits_low_threshold", 5)


def test_the_generate_page_warns_when_credits_run_low(session: Session) -> None:
    user = create_user(session, tier=Tier.PRO)
    credits.grant(session, user_id=user.id, amount=3)
    warning = generation_edge.account(viewer_of(user.id)).warning
    assert warning.startswith("Only 3 credits left.")


def test_the_account_page_warns_when_credits_are_out(session: Session) -> None:
    user = create_user(session)
    assert credits_edge.overview(viewer_of(user.id)).warning.startswith("You are out of credits.")


def test_no_banner_with_credits_to_spare(session: Session) -> None:
    user = create_user(session, tier=Tier.PRO)
    credits.grant(session, user_id=user.id, amount=50)
    assert generation_edge.account(viewer_of(user.id)).warning == ""
