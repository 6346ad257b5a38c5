"""Which providers exist, which are configured, and the provider object for a name."""

from __future__ import annotations

from functools import cache
from typing import Any

from dreampixel.core.settings import ProviderName, settings
from services.providers.base import ImageProvider, ProviderError
from services.providers.local import LocalProvider

KNOWN_PROVIDERS: tuple[str, ...] = ("local", "stability", "replicate", "gemini")


def configured_providers() -> list[str]:
    """Providers that have what they need to be called: local always, others with a key."""
    keys = settings.provider_keys
    return [name for name in KNOWN_PROVIDERS if keys.get(ProviderName(name), False)]


def provider_statuses() -> list[dict[str, Any]]:
    """One entry per known provider; `healthy` is None when it is unconfigured or not checked."""
    configured = set(configured_providers())
    statuses: list[dict[str, Any]] = []
    for name in KNOWN_PROVIDERS:
        if name == "local":
            statuses.append(
                {"name": name, "configured": True, "healthy": True, "detail": "offline procedural generator"}
            )
        elif name in configured:
            statuses.append({"name": name, "configured": True, "healthy": None, "detail": "API key set; not checked"})
        else:
            statuses.append({"name": name, "configured": False, "healthy": None, "detail": "no API key"})
    return statuses


def get_provider(name: str) -> ImageProvider:
    """The provider called `name`; ProviderError(provider_not_configured) if it cannot be used."""
    if name == "local":
        return _local()
    detail = "is not a known provider" if name not in KNOWN_PROVIDERS else "is not available yet"
    raise ProviderError(f"Provider {name!r} {detail}.", code="provider_not_configured", provider=name, retryable=False)


@cache
def _local() -> LocalProvider:
    return LocalProvider()
