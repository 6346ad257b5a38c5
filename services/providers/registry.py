"""Which providers exist, which are configured, their health, and the provider object for a name."""

from __future__ import annotations

import asyncio
import time
from functools import cache
from typing import Any

from dreampixel.core.settings import ProviderName, settings
from services.providers import gemini, replicate, stability
from services.providers.base import ImageProvider, ProviderError, ProviderHealth
from services.providers.breaker import state_of
from services.providers.local import LocalProvider

KNOWN_PROVIDERS: tuple[str, ...] = ("local", "stability", "replicate", "gemini")
HEALTH_TTL_SECONDS = 60.0
HEALTH_TIMEOUT_SECONDS = 5.0

_BUILDERS = {
    "stability": stability.from_settings,
    "replicate": replicate.from_settings,
    "gemini": gemini.from_settings,
}
_health_cache: dict[str, tuple[float, ProviderHealth]] = {}


def configured_providers() -> list[str]:
    """Providers that have what they need to be called: local always, others with a key."""
    keys = settings.provider_keys
    return [name for name in KNOWN_PROVIDERS if keys.get(ProviderName(name), False)]


def get_provider(name: str) -> ImageProvider:
    """The provider called `name`; ProviderError(provider_not_configured) if it cannot be used."""
    if name == "local":
        return _local()
    if name in _BUILDERS and name in configured_providers():
        return _http_provider(name)
    detail = "is not a known provider" if name not in KNOWN_PROVIDERS else "has no API key configured"
    raise ProviderError(f"Provider {name!r} {detail}.", code="provider_not_configured", provider=name,
                        retryable=False)


@cache
def _local() -> LocalProvider:
    return LocalProvider()


@cache
def _http_provider(name: str) -> ImageProvider:
    provider = _BUILDERS[name]()
    assert provider is not None, "configured providers always build"
    return provider


def reset() -> None:
    """Forget built providers and cached health (tests change settings between cases)."""
    _http_provider.cache_clear()
    _health_cache.clear()


async def _health(name: str) -> ProviderHealth:
    cached = _health_cache.get(name)
    if cached and time.monotonic() - cached[0] < HEALTH_TTL_SECONDS:
        return cached[1]
    try:
        health = await asyncio.wait_for(get_provider(name).health(), HEALTH_TIMEOUT_SECONDS)
    except TimeoutError:
        health = ProviderHealth(name, True, False, f"no answer within {HEALTH_TIMEOUT_SECONDS:.0f} s")
    except Exception as error:  # a health check must describe a failure, never raise it
        health = ProviderHealth(name, True, False, f"{type(error).__name__}: {error}")
    _health_cache[name] = (time.monotonic(), health)
    return health


async def provider_statuses() -> list[dict[str, Any]]:
    """One entry per known provider: configured, healthy (None when not configured), detail,
    the circuit breaker's state and what the provider can do."""
    configured = configured_providers()
    checks = await asyncio.gather(*(_health(name) for name in configured))
    health = dict(zip(configured, checks, strict=True))
    circuits = dict(zip(KNOWN_PROVIDERS, await asyncio.gather(*(state_of(name) for name in KNOWN_PROVIDERS)),
                        strict=True))
    statuses = []
    for name in KNOWN_PROVIDERS:
        entry: dict[str, Any] = {"name": name, "configured": name in health, "healthy": None,
                                 "detail": "no API key", "circuit": circuits[name].value}
        if name in health:
            caps = get_provider(name).capabilities
            entry.update(
                healthy=health[name].healthy, detail=health[name].detail, latency_ms=health[name].latency_ms,
                capabilities={"max_width": caps.max_width, "max_height": caps.max_height,
                              "max_variations": caps.max_variations, "reference_image": caps.reference_image,
                              "negative_prompt": caps.negative_prompt, "seed": caps.seed,
                              "output_formats": list(caps.output_formats)},
            )
        statuses.append(entry)
    return statuses
