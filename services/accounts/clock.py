"""The accounts clock: one function, so tests can move time (lockout expiry) without sleeping."""

from __future__ import annotations

from datetime import datetime

from dreampixel.core.models import utcnow


def now() -> datetime:
    """The current UTC time; tests monkeypatch `services.accounts.clock.now`."""
    return utcnow()
