"""A circuit breaker per provider: stop calling one that keeps failing, probe it after a pause."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are refused until the cool-down ends
    HALF_OPEN = "half_open"  # one probe call is let through


@dataclass
class CircuitBreaker:
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0
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
