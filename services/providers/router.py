"""Choosing providers: the requested one first, then healthy configured ones, on retryable errors only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from dreampixel.core import metrics
from dreampixel.core.logging import get_logger
from dreampixel.core.models import utcnow
from dreampixel.core.settings import settings
from services.providers import breaker, registry
from services.providers.base import GenerationRequest, ImageProvider, ProviderError, ProviderResult

log = get_logger(__name__)

LOCAL = "local"


@dataclass
class Attempt:
    provider: str
    status: str  # "succeeded" | "failed" | "skipped"
    error_code: str | None
    latency_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "status": self.status, "error_code": self.error_code,
                "latency_ms": self.latency_ms, "at": utcnow().isoformat()}


def provider_order(requested: str | None) -> list[str]:
    """The providers to try, in order: `requested` (or AI_PROVIDER) first, then the real providers
    of PROVIDER_ORDER that are configured.

    The offline `local` provider is never a fallback: a paid provider's outage must not deliver
    procedural art and charge for it. It serves only when it is asked for (by the request or by
    AI_PROVIDER) or when no real provider is configured at all.
    """
    configured = registry.configured_providers()
    real = [name for name in configured if name != LOCAL]
    default = str(settings.ai_provider) if settings.ai_provider else None
    if requested:
        first = requested
    elif default in configured:
        first = default
    else:  # automatic, or AI_PROVIDER without a key: the first real provider configured, else local
        first = next((str(n) for n in settings.provider_fallback_order if str(n) in real), real[0] if real else LOCAL)
    if first == LOCAL:
        return [LOCAL] if LOCAL in configured else []
    fallbacks = [str(name) for name in settings.provider_fallback_order if str(name) in real]
    order = [first] + [name for name in fallbacks if name != first]
    return [name for name in order if name in real]


def _supports(provider: ImageProvider, request: GenerationRequest) -> bool:
    caps = provider.capabilities
    return (request.reference_image is None or caps.reference_image) and request.num_variations <= caps.max_variations


async def generate(
    request: GenerationRequest,
    *,
    requested: str | None = None,
    on_attempt: Callable[[Attempt], Awaitable[None]] | None = None,
    timeout: float | None = None,
) -> ProviderResult:
    """Try providers in order until one delivers. Raises the last error if none does.

    A non-retryable error (content filtered, invalid request) ends the search at once: another
    provider would refuse the same prompt or the same bad input.
    """
    timeout = timeout or settings.generation_provider_timeout_seconds
    last_error: ProviderError | None = None
    order = provider_order(requested)
    if requested and requested not in order:
        raise ProviderError(f"The provider {requested!r} is not configured.", code="provider_not_configured",
                            retryable=False, provider=requested)
    for name in order:
        provider = registry.get_provider(name)
        if not _supports(provider, request):
            continue
        if not await breaker.allow(name):
            attempt = Attempt(name, "skipped", "circuit_open", 0)
            if on_attempt:
                await on_attempt(attempt)
            continue
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(provider.generate(request), timeout)
        except TimeoutError:
            error = ProviderError(f"{name} did not answer within {timeout:.0f} s.", code="provider_timeout",
                                  retryable=True, provider=name)
        except ProviderError as caught:
            error = caught
        else:
            await breaker.record_success(name)
            if on_attempt:
                await on_attempt(Attempt(name, "succeeded", None, int((time.perf_counter() - started) * 1000)))
            return result
        latency = int((time.perf_counter() - started) * 1000)
        metrics.PROVIDER_ERRORS.labels(name, error.code).inc()
        if error.retryable:
            await breaker.record_failure(name)
        if on_attempt:
            await on_attempt(Attempt(name, "failed", error.code, latency))
        log.warning("provider.failed", provider=name, code=error.code, retryable=error.retryable, latency_ms=latency)
        last_error = error
        if not error.retryable:
            raise error
    if last_error is not None:
        raise last_error
    raise ProviderError("No image provider is available right now.", code="provider_unavailable", retryable=True,
                        provider=requested or (order[0] if order else LOCAL))
