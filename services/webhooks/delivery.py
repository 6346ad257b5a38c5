"""Sending one webhook attempt: signed (Standard Webhooks), to a public address only, within the timeout.

The target passes the reference-URL SSRF guard (`services.images.fetch.vet`) at every attempt,
since DNS may answer differently from one attempt to the next, and the request goes to the
address that was checked. Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from dreampixel.core.settings import settings
from services.images.fetch import FetchFailed, IPAddress, UnsafeUrl, is_public, vet
from services.webhooks.schemas import EXCERPT_CHARS
from services.webhooks.service import AttemptResult, Outgoing

USER_AGENT = "DreamPixel-Webhooks/1"


def allowed(address: IPAddress, _port: int) -> bool:
    """Public addresses; loopback too when WEBHOOKS_ALLOW_LOOPBACK is on (development only)."""
    return is_public(address) or (settings.webhooks_allow_loopback and address.is_loopback)


async def check_target(url: str) -> None:
    """UnsafeUrl (422) unless `url` is http(s) on an address webhooks may reach; FetchFailed if it does not resolve."""
    await vet(url, allow=allowed)


def signed_headers(outgoing: Outgoing, *, at: datetime | None = None) -> dict[str, str]:
    timestamp = at or datetime.now(UTC)
    return {
        "webhook-id": outgoing.event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(outgoing.secret).sign(outgoing.event_id, timestamp, outgoing.body),
    }


async def send(outgoing: Outgoing, *, transport: httpx.AsyncBaseTransport | None = None) -> AttemptResult:
    """POST the event once and say what happened; never raises for the receiver's failures."""
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        host, address, port = await vet(outgoing.url, allow=allowed)
    except (UnsafeUrl, FetchFailed) as unsafe:
        return AttemptResult(response_status=None, latency_ms=elapsed(), error=unsafe.message)
    parts = urlsplit(outgoing.url)
    pinned = parts._replace(netloc=f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}")
    timeout = settings.webhook_timeout_seconds
    headers = {**signed_headers(outgoing), "content-type": "application/json", "user-agent": USER_AGENT,
               "host": parts.netloc.rsplit("@", 1)[-1]}
    async with httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False) as client:
        request = client.build_request("POST", pinned.geturl(), content=outgoing.body.encode(), headers=headers,
                                       extensions={"sni_hostname": host, "timeout": {
                                           "connect": timeout, "read": timeout, "write": timeout, "pool": timeout}})
        try:
            # The whole exchange, not each read, must end within the timeout.
            async with asyncio.timeout(timeout):
                response = await client.send(request, stream=True)
                try:
                    excerpt = await _excerpt(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            return AttemptResult(response_status=None, latency_ms=elapsed(),
                                 error=f"No answer within {timeout:g} s.")
        except httpx.HTTPError as error:
            return AttemptResult(response_status=None, latency_ms=elapsed(), error=_describe(error))
    refused = "Redirects are not followed." if response.is_redirect else None
    return AttemptResult(response_status=response.status_code, latency_ms=elapsed(), response_excerpt=excerpt,
                         error=refused)


async def _excerpt(response: httpx.Response) -> str:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body.extend(chunk)
        if len(body) >= EXCERPT_CHARS:
            break
    return bytes(body[:EXCERPT_CHARS]).decode("utf-8", errors="replace")


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"No answer within {settings.webhook_timeout_seconds:g} s."
    return f"Could not connect ({type(error).__name__})."
