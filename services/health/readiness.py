"""Whether this installation may serve in production: what the settings alone cannot tell.

The settings refuse weak secrets and development defaults beside real engines when they are
read; this adds what needs the database: no account with a published demo password.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from dreampixel.core.models import User
from dreampixel.core.settings import Environment, settings


def demo_accounts(session: Session) -> list[str]:
    """The emails of the demo accounts (`seed-demo`, passwords in the README) found in the database."""
    emails = settings.demo_emails()
    found = session.exec(select(User.email).where(func.lower(col(User.email)).in_(emails))).all()
    return sorted(found)


def production_problems(session: Session) -> list[str]:
    """Why this database must not be served in production; empty when it may (or outside production)."""
    if settings.environment is not Environment.PRODUCTION:
        return []
    found = demo_accounts(session)
    if not found:
        return []
    return [f"the demo account{'s' if len(found) != 1 else ''} {', '.join(found)} exist{'s' if len(found) == 1 else ''} "
            "with a published password; delete them (python -m dreampixel delete-demo-accounts) before serving in "
            "production"]
