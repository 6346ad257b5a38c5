"""What the HTTP image providers share: one client factory and the mapping of failures to ProviderError.

Every hosted provider fails in the same few ways (refused key, no credit, throttled, down, slow,
nonsense answer); mapping them here keeps the `code` and `retryable` flags the router relies on
identical across providers. Provider-specific rules (content filters, quota kinds) are applied by
each client before falling back to `error_for_status`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from PIL import Image, UnidentifiedImageError

from dreampixel.core.settings import settings
from services.providers.base import ProviderError

USER_AGENT = "dreampixel/0.1 (+https://github.com/dreampixel)"
MAX_CONNECT_SECONDS = 10.0
# Provider detail strings go into messages people may read; keep them short.
MAX_DETAIL_CHARS = 300

CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_PIL_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


def request_timeout(seconds: float) -> httpx.Timeout:
    """Connecting fails fast; reading may take the whole budget.

    Passed on every request too, so an injected client with other defaults still keeps our budget.
    """
    return httpx.Timeout(seconds, connect=min(seconds, MAX_CONNECT_SECONDS))


def build_client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=request_timeout(timeout),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=5),
        headers={"User-Agent": USER_AGENT},
        # Redirects could carry our Authorization header to another host; no provider needs them.
        follow_redirects=False,
    )


class ClientHolder:
    """The injected client, or one of our own per event loop.

    An AsyncClient's pooled connections belong to the loop that opened them; the app, the worker
    and each test run their own loop, so a cached provider must not reuse a client across loops.
    """

    def __init__(self, timeout: float, client: httpx.AsyncClient | None = None) -> None:
        self._timeout = timeout
        self._injected = client
        self._own: httpx.AsyncClient | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> httpx.AsyncClient:
        if self._injected is not None:
            return self._injected
        loop = asyncio.get_running_loop()
        if self._own is None or self._own_loop is not loop or self._own.is_closed:
            # The old client's connections cannot be closed from another loop; dropping it is all we can do.
            self._own, self._own_loop = build_client(self._timeout), loop
        return self._own

    async def aclose(self) -> None:
        """Close the client we made ourselves; an injected one belongs to whoever passed it."""
        if self._own is not None and self._own_loop is asyncio.get_running_loop():
            await self._own.aclose()
        self._own = self._own_loop = None


async def send(client: httpx.AsyncClient, provider: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """`client.request(...)`, with network failures and timeouts raised as retryable ProviderErrors."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{provider} did not answer in time ({type(exc).__name__}).", code="provider_timeout",
                            provider=provider, retryable=True) from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} could not be reached ({type(exc).__name__}).", code="provider_unavailable",
                            provider=provider, retryable=True) from exc


async def download(client: httpx.AsyncClient, provider: str, url: str, *, headers: dict[str, str],
                   timeout: httpx.Timeout, max_bytes: int) -> bytes:
    """GET a result file from the provider's own API host, refusing one larger than `max_bytes`."""
    try:
        async with client.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code != 200:
                raise bad_response(provider, f"an output file answered HTTP {response.status_code}.")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise too_large(provider, max_bytes)
            return bytes(body)
    except httpx.TimeoutException as exc:
        raise ProviderError(f"{provider} did not answer in time ({type(exc).__name__}).", code="provider_timeout",
                            provider=provider, retryable=True) from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} could not be reached ({type(exc).__name__}).", code="provider_unavailable",
                            provider=provider, retryable=True) from exc


def too_large(provider: str, max_bytes: int) -> ProviderError:
    return ProviderError(f"{provider} sent an output file larger than {max_bytes} bytes.",
                         code="provider_bad_response", provider=provider, retryable=False)


# --- reading error answers -----------------------------------------------------------------------


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or {} when it is not one (error pages are often HTML or text)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def short(text: object) -> str:
    value = " ".join(str(text).split())
    return value if len(value) <= MAX_DETAIL_CHARS else value[: MAX_DETAIL_CHARS - 1] + "…"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # asctime dates carry no zone but mean GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


_RESETS_IN = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_resets_in(text: str | None) -> float | None:
    """Replicate's throttle text: "Your rate limit resets in ~30s." -> 30.0."""
    match = _RESETS_IN.search(text or "")
    if not match:
        return None
    return float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_duration(value: object) -> float | None:
    """A google.protobuf.Duration in JSON form ("34s", "1.5s") as seconds."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


_DEFAULT_CODES: dict[int, tuple[str, bool]] = {
    400: ("invalid_request", False),
    401: ("provider_auth_failed", False),
    402: ("provider_payment_required", False),
    403: ("provider_auth_failed", False),
    404: ("provider_not_found", False),
    408: ("provider_timeout", True),
    413: ("invalid_request", False),
    422: ("invalid_request", False),
    429: ("provider_rate_limited", True),
    504: ("provider_timeout", True),
}


def error_for_status(
    provider: str,
    response: httpx.Response,
    detail: str,
    *,
    retry_after: float | None = None,
) -> ProviderError:
    """The ProviderError for an HTTP error answer that no provider-specific rule claimed."""
    status = response.status_code
    if status in _DEFAULT_CODES:
        code, retryable = _DEFAULT_CODES[status]
    elif status >= 500:
        code, retryable = "provider_unavailable", True
    elif status >= 400:
        code, retryable = "invalid_request", False
    else:  # a 1xx/3xx the client did not follow: nothing usable came back
        code, retryable = "provider_bad_response", True
    if retry_after is None and retryable:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    message = f"{provider} answered HTTP {status}" + (f": {short(detail)}" if detail else ".")
    return ProviderError(message, code=code, provider=provider, retryable=retryable,
                         retry_after=retry_after if retryable else None)


def bad_response(provider: str, what: str) -> ProviderError:
    """The provider said yes but sent something we cannot use; another try (or provider) may do better."""
    return ProviderError(f"{provider} sent an unusable answer: {what}", code="provider_bad_response",
                         provider=provider, retryable=True)


def content_filtered(provider: str, detail: str) -> ProviderError:
    return ProviderError(f"{provider} refused the request under its content policy: {short(detail)}",
                         code="content_filtered", provider=provider, retryable=False)


# --- reading images ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedImage:
    data: bytes
    content_type: str
    width: int
    height: int


def decode_base64(provider: str, value: object) -> bytes:
    if not isinstance(value, str) or not value:
        raise bad_response(provider, "the image data is missing.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad_response(provider, "the image data is not valid base64.") from exc


def _inspect(data: bytes) -> tuple[str, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        # Checked from the header: a small file may declare a canvas that would fill memory decoded.
        if max(image.width, image.height) > settings.max_image_dimension:
            raise ValueError(f"the image is {image.width}x{image.height} pixels")
        image.load()  # a truncated or corrupt body fails here, not later in the pipeline
        content_type = _PIL_FORMATS.get(image.format or "")
        if content_type is None:
            raise ValueError(f"unsupported image format {image.format}")
        return content_type, image.width, image.height


async def read_image(provider: str, data: bytes) -> DecodedImage:
    """Check that `data` is a whole PNG/JPEG/WebP image and read its size, in a thread (decoding is CPU work)."""
    if not data:
        raise bad_response(provider, "the image is empty.")
    try:
        content_type, width, height = await asyncio.to_thread(_inspect, data)
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise bad_response(provider, "the image could not be decoded.") from exc
    return DecodedImage(data=data, content_type=content_type, width=width, height=height)


def sniff_image_type(data: bytes) -> str:
    """The MIME type of a reference image from its magic bytes; PNG when unknown (providers sniff too)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def nearest_ratio(width: int, height: int, ratios: tuple[str, ...]) -> str:
    """The "w:h" in `ratios` closest to width/height, compared on a log scale so 2:1 and 1:2 are equally far from 1:1."""
    target = math.log(width / height)

    def distance(ratio: str) -> float:
        w, h = (int(part) for part in ratio.split(":"))
        return abs(math.log(w / h) - target)

    return min(ratios, key=distance)
