"""What every image provider takes, returns and raises, and the interface it implements."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from dreampixel.core.errors import DreamPixelError

OutputFormat = Literal["png", "jpeg", "webp"]
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class GenerationRequest:
    """One call to a provider; `seed` is always set so a result can be reproduced."""

    prompt: str
    _: KW_ONLY
    negative_prompt: str = ""
    seed: int
    width: int = 512
    height: int = 512
    steps: int = 30
    guidance_scale: float = 7.0
    num_variations: int = 1
    output_format: OutputFormat = "png"
    reference_image: bytes | None = None
    model: str | None = None


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    seed: int


@dataclass
class ProviderResult:
    images: list[GeneratedImage]
    provider: str
    model: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Capabilities:
    """What a provider accepts; requests are checked against it before any call."""

    sizes: tuple[tuple[int, int], ...] | None
    max_width: int
    max_height: int
    max_variations: int
    reference_image: bool
    negative_prompt: bool
    seed: bool
    output_formats: tuple[OutputFormat, ...]
    min_size: int = 64
    size_multiple: int = 8


@dataclass(frozen=True)
class ProviderHealth:
    name: str
    configured: bool
    healthy: bool | None
    detail: str
    latency_ms: float | None = None


class ProviderError(DreamPixelError):
    """A provider call failed. `code` is stable; `retryable` tells the router to fail over.

    Codes: provider_auth_failed, provider_payment_required, content_filtered, provider_not_found,
    provider_rate_limited, provider_unavailable, provider_timeout, provider_bad_response,
    provider_not_configured, invalid_request.
    """

    status_code = 502
    code = "provider_unavailable"
    title = "Image provider failed"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        provider: str,
        retryable: bool,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, code=code, status_code=status_code or _STATUS_BY_CODE.get(code, 502))
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after


_STATUS_BY_CODE = {
    "invalid_request": 422,
    "content_filtered": 422,
    "provider_rate_limited": 429,
    "provider_timeout": 504,
    "provider_not_configured": 503,
}


@runtime_checkable
class ImageProvider(Protocol):
    name: str
    capabilities: Capabilities

    async def generate(self, request: GenerationRequest) -> ProviderResult: ...

    async def health(self) -> ProviderHealth: ...


def check_request(request: GenerationRequest, capabilities: Capabilities, provider: str) -> None:
    """Raise ProviderError(invalid_request) when `request` asks for more than the provider offers."""
    problems: list[str] = []
    caps = capabilities
    if not request.prompt.strip():
        problems.append("the prompt is empty")
    if not 0 <= request.seed <= MAX_SEED:
        problems.append(f"seed must be between 0 and {MAX_SEED}")
    if caps.sizes is not None and (request.width, request.height) not in caps.sizes:
        problems.append(f"size {request.width}x{request.height} is not offered")
    for side, value, limit in (("width", request.width, caps.max_width), ("height", request.height, caps.max_height)):
        if not caps.min_size <= value <= limit or value % caps.size_multiple:
            problems.append(f"{side} must be a multiple of {caps.size_multiple} from {caps.min_size} to {limit}")
    if not 1 <= request.num_variations <= caps.max_variations:
        problems.append(f"num_variations must be between 1 and {caps.max_variations}")
    if request.output_format not in caps.output_formats:
        problems.append(f"output format {request.output_format!r} is not offered")
    if request.reference_image is not None and not caps.reference_image:
        problems.append("reference images are not supported")
    if problems:
        raise ProviderError(
            "; ".join(problems).capitalize() + ".", code="invalid_request", provider=provider, retryable=False
        )
