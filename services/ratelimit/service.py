"""Sliding-window rate limits: Redis when `REDIS_URL` is set, in-process counters otherwise.

Each key counts its allowed hits in windows of `window` seconds, and a hit is judged by the
sliding-window estimate: this window's count plus the previous window's, weighted by how much
of it still lies within the last `window` seconds. So no burst at a window's edge gets twice
the limit through, as a fixed window allows. Refused hits are not counted. The windows of a
key are offset by a hash of the key; both backends compute from the limiter's clock
(injectable for tests), so for the same hits they give the same decisions.

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
    previous_key: str
    start: float
    end: float


def _window(key: str, window: int, now: float) -> _Window:
    offset = zlib.crc32(key.encode()) % window
    start = math.floor((now - offset) / window) * window + offset
    return _Window(key=f"{KEY_PREFIX}{key}:{start}", previous_key=f"{KEY_PREFIX}{key}:{start - window}",
                   start=start, end=start + window)


# Float slack, so a hit exactly at the computed instant is allowed as promised.
_EPSILON = 1e-9


def _estimate(current: int, previous: int, window: int, span: _Window, now: float) -> float:
    return current + previous * (span.end - now) / window


def _fits(current: int, previous: int, limit: int, window: int, span: _Window, now: float) -> bool:
    """Whether one more hit on top of these counts is within the limit."""
    return _estimate(current, previous, window, span, now) + 1 <= limit + _EPSILON


def _seconds_until_one_more(current: int, previous: int, limit: int, window: int, span: _Window,
                            now: float) -> int:
    """When the estimate first leaves room for one more hit (if it already does: this window's end)."""
    if _fits(current, previous, limit, window, span, now):
        return max(1, math.ceil(span.end - now))
    if current + 1 <= limit:  # within this window, once enough of the previous one has slid out
        at = span.end - (limit - 1 - current) * window / previous
    else:  # in the next window, where this one's count is the previous one
        at = span.end + window - (limit - 1) * window / current
    return max(1, math.ceil(at - now - _EPSILON))


def _decide(current: int, previous: int, limit: int, window: int, span: _Window, now: float) -> Decision:
    used = _estimate(current, previous, window, span, now)
    return Decision(allowed=used <= limit + _EPSILON, limit=limit,
                    remaining=max(0, math.floor(limit - used + _EPSILON)),
                    reset_seconds=_seconds_until_one_more(current, previous, limit, window, span, now))


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
        span = _window(key, window, now)
        with self._lock:
            self._hits += 1
            if self._hits % self.SWEEP_EVERY == 0:
                self._sweep(now, window)
            current, previous = self._count(span.key), self._count(span.previous_key)
            allowed = _fits(current, previous, limit, window, span, now)
            if allowed:
                current += 1
                self._counts[span.key] = (span.end, current)
        decision = _decide(current, previous, limit, window, span, now)
        return decision if allowed else _refused(decision)

    def peek(self, key: str, limit: int, window: int) -> Decision:
        now = self._clock()
        span = _window(key, window, now)
        with self._lock:
            current, previous = self._count(span.key), self._count(span.previous_key)
        return _peeked(current, previous, limit, window, span, now)

    def _count(self, key: str) -> int:
        return self._counts.get(key, (0.0, 0))[1]

    def _sweep(self, now: float, window: int) -> None:
        # A window's count is needed until the window after it has ended too.
        for stale in [k for k, (end, _count) in self._counts.items() if end + window <= now]:
            del self._counts[stale]


class RedisLimiter:
    """Counters in Redis, shared by every app process: INCR (undone when refused), EXPIRE, GET."""

    def __init__(self, client: redis.Redis, clock: Clock = time.time) -> None:
        self._client = client
        self._clock = clock

    def hit(self, key: str, limit: int, window: int) -> Decision:
        now = self._clock()
        span = _window(key, window, now)
        try:
            pipe = self._client.pipeline(transaction=True)
            pipe.incr(span.key)
            # Kept while it is this window or the previous one, plus a second of slack.
            pipe.expire(span.key, math.ceil(span.end + window - now) + 1)
            pipe.get(span.previous_key)
            counted, _, raw_previous = pipe.execute()
            current, previous = int(counted) - 1, int(raw_previous or 0)
            allowed = _fits(current, previous, limit, window, span, now)
            if allowed:
                current += 1
            else:
                self._client.decr(span.key)
        except redis.RedisError as error:
            return _unlimited(limit, span, now, error)
        decision = _decide(current, previous, limit, window, span, now)
        return decision if allowed else _refused(decision)

    def peek(self, key: str, limit: int, window: int) -> Decision:
        now = self._clock()
        span = _window(key, window, now)
        try:
            raw = cast("list[bytes | None]", self._client.mget([span.key, span.previous_key]))
        except redis.RedisError as error:
            return _unlimited(limit, span, now, error)
        return _peeked(int(raw[0] or 0), int(raw[1] or 0), limit, window, span, now)


def _refused(decision: Decision) -> Decision:
    return Decision(allowed=False, limit=decision.limit, remaining=0, reset_seconds=decision.reset_seconds)


def _peeked(current: int, previous: int, limit: int, window: int, span: _Window, now: float) -> Decision:
    # A peek asks whether one more hit would be allowed, without counting it.
    decision = _decide(current, previous, limit, window, span, now)
    return Decision(allowed=_fits(current, previous, limit, window, span, now), limit=limit,
                    remaining=decision.remaining, reset_seconds=decision.reset_seconds)


def _unlimited(limit: int, span: _Window, now: float, error: Exception) -> Decision:
    # Fail open: Redis being down must not take the whole API down with it.
    log.warning("ratelimit.redis_unavailable", error=str(error))
    return Decision(allowed=True, limit=limit, remaining=limit, reset_seconds=max(1, math.ceil(span.end - now)))


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
