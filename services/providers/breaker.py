"""A circuit breaker per provider: stop calling one that keeps failing, probe it after a pause.

Without Redis each process keeps its own breakers (`CircuitBreaker`). With REDIS_URL the state
lives in Redis (`SharedCircuitBreaker`), so every app backend and worker agrees on a provider's
health: failures counted by one process open the circuit for all, and after the cool-down
exactly one process anywhere sends the probe. Each transition is one Lua script (atomic on the
server, timed by the server's clock, so hosts with skewed clocks agree); the key expires when
nobody has touched it for a while, which closes a circuit nobody uses. When Redis cannot be
reached, the process falls back to its own breaker rather than stop generating.

Callers use the module's async functions (`allow`, `record_success`, `record_failure`, `state_of`).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings

log = get_logger(__name__)

FAILURE_THRESHOLD = 5
COOLDOWN_SECONDS = 30.0


class BreakerState(StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are refused until the cool-down ends
    HALF_OPEN = "half_open"  # one probe call is let through


@dataclass
class CircuitBreaker:
    failure_threshold: int = FAILURE_THRESHOLD
    cooldown_seconds: float = COOLDOWN_SECONDS
    clock: Callable[[], float] = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float = 0.0
    _probe_in_flight: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open state, only the one probe)."""
        with self._lock:
            if self.state is BreakerState.OPEN and self.clock() - self.opened_at >= self.cooldown_seconds:
                self.state = BreakerState.HALF_OPEN
                self._probe_in_flight = False
            if self.state is BreakerState.CLOSED:
                return True
            if self.state is BreakerState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self.state = BreakerState.CLOSED
            self.consecutive_failures = 0
            self._probe_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self.consecutive_failures += 1
            if self.state is BreakerState.HALF_OPEN or self.consecutive_failures >= self.failure_threshold:
                self.state = BreakerState.OPEN
                self.opened_at = self.clock()
            self._probe_in_flight = False

    def seconds_until_probe(self) -> float:
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.cooldown_seconds - (self.clock() - self.opened_at))


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(provider: str) -> CircuitBreaker:
    with _breakers_lock:
        return _breakers.setdefault(provider, CircuitBreaker())


def reset_all() -> None:
    with _breakers_lock:
        _breakers.clear()


# --- shared through Redis ------------------------------------------------------------------------

# ARGV[1] the probe lease (ms). Returns 1 when the call may go out.
_ALLOW = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until == 0 then return 1 end
if now < open_until then return 0 end
local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
if probe_until > now then return 0 end
redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[1]))
return 1
"""

# ARGV[1] threshold, ARGV[2] cool-down (ms), ARGV[3] key TTL (s). Returns 1 when the circuit is open after it.
_FAILURE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
local probing = open_until > 0 and now >= open_until
local opened = 0
if probing or (open_until == 0 and failures >= tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[1], 'open_until', now + tonumber(ARGV[2]), 'probe_until', 0)
  opened = 1
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return opened
"""

# Returns {state, failures, ms until the probe}: state 0 closed, 1 open, 2 half-open.
_STATE = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if open_until == 0 then return {0, failures, 0} end
if now < open_until then return {1, failures, open_until - now} end
return {2, failures, 0}
"""

_STATES = {0: BreakerState.CLOSED, 1: BreakerState.OPEN, 2: BreakerState.HALF_OPEN}


@dataclass
class SharedCircuitBreaker:
    """One provider's breaker kept in Redis, the same for every process that uses the same key."""

    client: Any  # redis.asyncio.Redis
    provider: str
    failure_threshold: int = FAILURE_THRESHOLD
    cooldown_seconds: float = COOLDOWN_SECONDS
    # A probe whose process died frees the half-open slot after this long.
    probe_lease_seconds: float = 150.0
    prefix: str = "dreampixel:breaker:"

    @property
    def key(self) -> str:
        return f"{self.prefix}{self.provider}"

    @property
    def _ttl_seconds(self) -> int:
        # Long enough to outlive a cool-down and its probe; a forgotten circuit closes by itself.
        return int(max(self.cooldown_seconds, self.probe_lease_seconds) * 4) + 60

    async def allow(self) -> bool:
        return bool(await self.client.eval(_ALLOW, 1, self.key, int(self.probe_lease_seconds * 1000)))

    async def record_success(self) -> None:
        await self.client.delete(self.key)

    async def record_failure(self) -> None:
        opened = await self.client.eval(_FAILURE, 1, self.key, self.failure_threshold,
                                        int(self.cooldown_seconds * 1000), self._ttl_seconds)
        if opened:
            log.warning("provider.circuit_opened", provider=self.provider, shared=True)

    async def state(self) -> BreakerState:
        code, _failures, _wait_ms = await self.client.eval(_STATE, 1, self.key)
        return _STATES[int(code)]


# One client per event loop: an asyncio Redis client belongs to the loop it was made on.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, Any]] = weakref.WeakKeyDictionary()


def _client() -> Any:
    from redis.asyncio import Redis

    loop = asyncio.get_running_loop()
    cached = _clients.get(loop)
    if cached is None or cached[0] != settings.redis_url:
        client = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        _clients[loop] = cached = (settings.redis_url, client)
    return cached[1]


def shared(provider: str) -> SharedCircuitBreaker | None:
    """The provider's Redis-backed breaker, or None without REDIS_URL."""
    if not settings.redis_url:
        return None
    return SharedCircuitBreaker(_client(), provider)


async def _shared_or_local(provider: str, action: str) -> Any:
    breaker = shared(provider)
    if breaker is not None:
        try:
            return await getattr(breaker, action)()
        except Exception as error:  # Redis away: this process's own breaker keeps the router going
            log.warning("provider.breaker_redis_unavailable", provider=provider, error=repr(error))
    local = breaker_for(provider)
    if action == "state":
        return local.state
    return getattr(local, action)()


async def allow(provider: str) -> bool:
    """Whether a call to `provider` may go out now (half-open: only the one probe, across processes)."""
    return bool(await _shared_or_local(provider, "allow"))


async def record_success(provider: str) -> None:
    await _shared_or_local(provider, "record_success")


async def record_failure(provider: str) -> None:
    await _shared_or_local(provider, "record_failure")


async def state_of(provider: str) -> BreakerState:
    result: BreakerState = await _shared_or_local(provider, "state")
    return result
