"""Fixed-window rate limits: Redis when `REDIS_URL` is set, in-process counters otherwise.

Each key counts hits in windows of `window` seconds. The windows of a key are offset by a
hash of the key, so every caller's window does not reset at the same instant. Both backends
compute the window from the limiter's clock (injectable for tests), so for the same hits
they give the same decisions.

    decision = ratelimit.hit(f"api:{user_id}", limit=100, window=900)
    if not decision.allowed: ...  # 429, Retry-After: decision.reset_seconds

Failures (wrong passwords) per subject and scope: `throttle_failures(subject)` before
checking a password, `record_failure(subject)` after a wrong one. The default scope is the
client address (20 in 15 minutes); sign-in also counts failures per unknown email.
"""

from __future__ import annotations

import math
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

import redis

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings

Clock = Callable[[], float]

log = get_logger(__name__)

KEY_PREFIX = "dreampixel:rl:"
# Creating generations costs provider time and credits: a tenth of the tier's API request
# limit in the same window (FREE 10, PRO 100, ENTERPRISE 1000 per 15 minutes by default).
GENERATION_CREATE_DIVISOR = 10
SIGN_IN_FAILURE_LIMIT = 20
SIGN_IN_FAILURE_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Decision:
    """The outcome of one hit: whether it may proceed, and what the RateLimit-* headers say."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


@dataclass(frozen=True)
class _Window:
    key: str
    end: float
    reset_seconds: int


def _window(key: str, window: int, now: float) -> _Window:
    offset = zlib.crc32(key.encode()) % window
    start = math.floor((now - offset) / window) * window + offset
    end = start + window
    return _Window(key=f"{KEY_PREFIX}{key}:{start}", end=end, reset_seconds=max(1, math.ceil(end - now)))


def _decide(count: int, limit: int, window: _Window, *, counted: bool) -> Decision:
    # A counted hit is allowed when it is within the limit; a peek asks whether one more would be.
    allowed = count <= limit if counted else count < limit
    return Decision(allowed=allowed, limit=limit, remaining=max(0, limit - count), reset_seconds=window.reset_seconds)


class Limiter(Protocol):
    def hit(self, key: str, limit: int, window: int) -> Decision: ...

    def peek(self, key: str, limit: int, window: int) -> Decision: ...


class MemoryLimiter:
    """Counters in this process, for a single app process with no Redis."""

    SWEEP_EVERY = 1024

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}
        self._hits = 0

    def hit(self, key: str, limit: int, window: int) -> Decision:
        now = self._clock()
        current = _window(key, window, now)
        with self._lock:
            self._hits += 1
            if self._hits % self.SWEEP_EVERY == 0:
                self._sweep(now)
            _end, count = self._counts.get(current.key, (current.end, 0))
            count += 1
            self._counts[current.key] = (current.end, count)
        return _decide(count, limit, current, counted=True)

    def peek(self, key: str, limit: int, window: int) -> Decision:
        current = _window(key, window, self._clock())
        with self._lock:
            _end, count = self._counts.get(current.key, (current.end, 0))
        return _decide(count, limit, current, counted=False)

    def _sweep(self, now: float) -> None:
        for stale in [k for k, (end, _count) in self._counts.items() if end <= now]:
            del self._counts[stale]


class RedisLimiter:
    """Counters in Redis, shared by every app process: INCR and EXPIRE in one transaction."""

    def __init__(self, client: redis.Redis, clock: Clock = time.time) -> None:
        self._client = client
        self._clock = clock

    def hit(self, key: str, limit: int, window: int) -> Decision:
        current = _window(key, window, self._clock())
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(current.key)
            # One second of slack so a key never disappears while its window is still open.
            pipe.expire(current.key, current.reset_seconds + 1)
            count, _ = pipe.execute()
        except redis.RedisError as error:
            return _unlimited(limit, current, error)
        return _decide(int(count), limit, current, counted=True)

    def peek(self, key: str, limit: int, window: int) -> Decision:
        current = _window(key, window, self._clock())
        try:
            raw = cast("bytes | None", self._client.get(current.key))
        except redis.RedisError as error:
            return _unlimited(limit, current, error)
        return _decide(int(raw) if raw else 0, limit, current, counted=False)


def _unlimited(limit: int, window: _Window, error: Exception) -> Decision:
    # Fail open: Redis being down must not take the whole API down with it.
    log.warning("ratelimit.redis_unavailable", error=str(error))
    return Decision(allowed=True, limit=limit, remaining=limit, reset_seconds=window.reset_seconds)


_lock = threading.Lock()
_limiter: Limiter | None = None
_limiter_url: str | None = None


def get_limiter() -> Limiter:
    """The limiter for the current settings (rebuilt when `redis_url` changes)."""
    global _limiter, _limiter_url
    with _lock:
        if _limiter is None or _limiter_url != settings.redis_url:
            _limiter_url = settings.redis_url
            _limiter = (RedisLimiter(redis.Redis.from_url(settings.redis_url, socket_timeout=2))
                        if settings.redis_url else MemoryLimiter())
        return _limiter


def set_limiter(limiter: Limiter | None) -> None:
    """Use `limiter` from now on (tests: a controllable clock); None goes back to the settings."""
    global _limiter, _limiter_url
    with _lock:
        _limiter, _limiter_url = limiter, settings.redis_url if limiter is not None else None


def hit(key: str, limit: int, window: int) -> Decision:
    """Count one hit on `key` and decide whether it is within `limit` per `window` seconds."""
    return get_limiter().hit(key, limit, window)


def api_limit(tier: str) -> tuple[int, int]:
    """(requests, window seconds) of the developer API for a tier."""
    return settings.api_rate_limit(tier)


def generation_create_limit(tier: str) -> tuple[int, int]:
    """(generations created, window seconds) through the API for a tier, on top of `api_limit`."""
    limit, window = settings.api_rate_limit(tier)
    return max(1, limit // GENERATION_CREATE_DIVISOR), window


def throttle_failures(subject: str | None, *, scope: str = "signin-failures", limit: int = SIGN_IN_FAILURE_LIMIT,
                      window: int = SIGN_IN_FAILURE_WINDOW_SECONDS) -> Decision:
    """Whether `subject` may try again: allowed while it has fewer than `limit` failures in the window."""
    return get_limiter().peek(f"{scope}:{subject or 'unknown'}", limit, window)


def record_failure(subject: str | None, *, scope: str = "signin-failures", limit: int = SIGN_IN_FAILURE_LIMIT,
                   window: int = SIGN_IN_FAILURE_WINDOW_SECONDS) -> Decision:
    """Count one failure of `subject`; the decision says whether it may still try."""
    counted = get_limiter().hit(f"{scope}:{subject or 'unknown'}", limit, window)
    return Decision(allowed=counted.remaining > 0, limit=counted.limit, remaining=counted.remaining,
                    reset_seconds=counted.reset_seconds)
