"""Rate limits (see service.py): `hit`, and the sign-in failure throttle."""

from services.ratelimit.service import (
    Decision,
    Limiter,
    MemoryLimiter,
    RedisLimiter,
    api_limit,
    generation_create_limit,
    get_limiter,
    hit,
    record_failure,
    set_limiter,
    throttle_failures,
)

__all__ = [
    "Decision",
    "Limiter",
    "MemoryLimiter",
    "RedisLimiter",
    "api_limit",
    "generation_create_limit",
    "get_limiter",
    "hit",
    "record_failure",
    "set_limiter",
    "throttle_failures",
]
