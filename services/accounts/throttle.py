"""Failed sign-ins per client address, counted in process.

Kept behind `note_failure` / `retry_after` so a Redis-backed limiter can replace the
in-process store without touching the sign-in code. Counts reset when the process restarts,
which is acceptable for a brake on password guessing from one address.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import timedelta

from services.accounts import clock

# Generous enough for a household or an office behind one address, tight enough to stop a
# script: 20 failures in 15 minutes, then the address waits for the window to slide.
MAX_FAILURES = 20
WINDOW = timedelta(minutes=15)

_lock = threading.Lock()
_failures: dict[str, deque] = {}


def _key(scope: str, subject: str | None) -> str:
    return f"{scope}:{subject or 'unknown'}"


def note_failure(scope: str, subject: str | None) -> None:
    """Remember one failure for `subject` (an address, or an unknown email) in `scope`."""
    current = clock.now()
    with _lock:
        entries = _failures.setdefault(_key(scope, subject), deque())
        entries.append(current)
        _trim(entries, current)


def failures(scope: str, subject: str | None) -> int:
    current = clock.now()
    with _lock:
        entries = _failures.get(_key(scope, subject))
        if not entries:
            return 0
        _trim(entries, current)
        return len(entries)


def retry_after(scope: str, subject: str | None, *, limit: int = MAX_FAILURES) -> float | None:
    """Seconds until `subject` may try again, or None when it is under `limit` failures."""
    current = clock.now()
    with _lock:
        entries = _failures.get(_key(scope, subject))
        if not entries:
            return None
        _trim(entries, current)
        if len(entries) < limit:
            return None
        return max(1.0, (entries[-limit] + WINDOW - current).total_seconds())


def clear(scope: str, subject: str | None) -> None:
    with _lock:
        _failures.pop(_key(scope, subject), None)


def reset_all() -> None:
    """Forget every counter (tests)."""
    with _lock:
        _failures.clear()


def _trim(entries: deque, current: object) -> None:
    while entries and entries[0] + WINDOW <= current:  # type: ignore[operator]
        entries.popleft()
