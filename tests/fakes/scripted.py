"""A provider whose next answers a test decides, registered beside the real ones.

It answers with the real `local` renderer's images, or with the ProviderErrors a real
client raises for a provider's failures (the HTTP clients' own mapping is tested against
local servers in tests/services/test_provider_*.py). Used where the subject is our routing,
failover, retry and settlement, not a provider's wire format.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pytest

from dreampixel.core.settings import settings
from services.providers import registry
from services.providers.base import Capabilities, GenerationRequest, ProviderError, ProviderHealth, ProviderResult
from services.providers.breaker import reset_all
from services.providers.local import LocalProvider

FAILURES: dict[str, tuple[str, bool]] = {
    "rate_limited": ("provider_rate_limited", True),
    "unavailable": ("provider_unavailable", True),
    "content_filtered": ("content_filtered", False),
    "auth": ("provider_auth_failed", False),
}


@dataclass
class ScriptedProvider:
    name: str
    script: deque[Any] = field(default_factory=deque)
    calls: list[GenerationRequest] = field(default_factory=list)
    capabilities: Capabilities = field(default_factory=lambda: LocalProvider().capabilities)
    gate: asyncio.Event | None = None

    def will(self, *outcomes: Any) -> ScriptedProvider:
        """Queue outcomes: "ok", a FAILURES key, ("sleep", seconds), or ("wait",) for `gate`."""
        self.script.extend(outcomes)
        return self

    async def generate(self, request: GenerationRequest) -> ProviderResult:
        self.calls.append(request)
        outcome = self.script.popleft() if self.script else "ok"
        if isinstance(outcome, tuple) and outcome[0] == "sleep":
            await asyncio.sleep(outcome[1])
            outcome = "ok"
        if isinstance(outcome, tuple) and outcome[0] == "wait":
            assert self.gate is not None
            await self.gate.wait()
            outcome = "ok"
        if outcome in FAILURES:
            code, retryable = FAILURES[outcome]
            raise ProviderError(f"{self.name}: {outcome}", code=code, provider=self.name, retryable=retryable,
                                retry_after=0.01 if retryable else None)
        result = await LocalProvider().generate(request)
        return ProviderResult(images=result.images, provider=self.name, model=f"{self.name}-test", metadata={})

    async def health(self) -> ProviderHealth:
        return ProviderHealth(self.name, True, True, "scripted")


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> dict[str, ScriptedProvider]:
    """Two scripted providers, "alpha" (the default) then "beta" in the failover order."""
    providers = {"alpha": ScriptedProvider("alpha"), "beta": ScriptedProvider("beta")}
    original = registry.get_provider
    monkeypatch.setattr(registry, "configured_providers", lambda: ["alpha", "beta", "local"])
    monkeypatch.setattr(registry, "get_provider", lambda name: providers.get(name) or original(name))
    monkeypatch.setattr(type(settings), "provider_fallback_order", property(lambda self: ["alpha", "beta"]))
    monkeypatch.setattr(settings, "ai_provider", "alpha")
    reset_all()
    yield providers
    reset_all()
