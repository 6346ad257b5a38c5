"""`stability`: Stability AI's synchronous v2beta Stable Image generate endpoints (ultra, core, sd3).

One multipart POST returns one image, so variations are separate calls with seeds seed, seed+1, ...
The output size is fixed by the endpoint (about 1 MP, 1.5 MP on core); the requested width and
height only choose the nearest of Stability's nine aspect ratios, and the images report the size
Stability actually produced.

Seeds: Stability takes 0..4294967294 and treats 0 as "random", so our seed is wrapped into
1..4294967294 (0 is sent as 4294967294, 4294967295 as 1); consecutive variations never collide.
"""

from __future__ import annotations

import time
from typing import Literal

import httpx

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.providers.base import (
    Capabilities,
    GeneratedImage,
    GenerationRequest,
    ProviderError,
    ProviderHealth,
    ProviderResult,
    check_request,
)
from services.providers.http import (
    ClientHolder,
    bad_response,
    content_filtered,
    decode_base64,
    error_for_status,
    json_body,
    nearest_ratio,
    parse_retry_after,
    read_image,
    request_timeout,
    send,
    short,
    sniff_image_type,
)

log = get_logger(__name__)

Endpoint = Literal["ultra", "core", "sd3"]
FilePart = tuple[str | None, bytes] | tuple[str, bytes, str]
NAME = "stability"
DEFAULT_BASE_URL = "https://api.stability.ai"
ASPECT_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
STABILITY_MAX_SEED = 4_294_967_294
SD3_MODELS = ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium")
# Stability throttles for 60 s after a burst over 150 requests / 10 s and documents no Retry-After.
RATE_LIMIT_PENALTY_SECONDS = 60.0
# How far a reference image may be departed from: 0 copies it, 1 ignores it.
DEFAULT_STRENGTH = 0.6


def capabilities_for(endpoint: Endpoint) -> Capabilities:
    """Core has no image-to-image; ultra and sd3 take a reference image with a strength."""
    return Capabilities(
        sizes=None,
        max_width=4096,
        max_height=4096,
        max_variations=4,
        reference_image=endpoint != "core",
        negative_prompt=True,
        seed=True,
        output_formats=("png", "jpeg", "webp"),
    )


def stability_seed(seed: int) -> int:
    """Our 0..2**32-1 seed as a deliberate Stability seed in 1..4294967294 (0 would mean random)."""
    return (seed - 1) % STABILITY_MAX_SEED + 1


class StabilityProvider:
    """Stability AI v2beta `stable-image/generate/{endpoint}` over multipart/form-data."""

    name = NAME

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        endpoint: Endpoint = "core",
        timeout: float = 120.0,
        client: httpx.AsyncClient | None = None,
        *,
        strength: float = DEFAULT_STRENGTH,
    ) -> None:
        if endpoint not in ("ultra", "core", "sd3"):
            raise ValueError(f"unknown Stability endpoint {endpoint!r}")
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.endpoint: Endpoint = endpoint
        self.timeout = timeout
        self.strength = strength
        self.capabilities = capabilities_for(endpoint)
        self._clients = ClientHolder(timeout, client)

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return f"StabilityProvider(endpoint={self.endpoint!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._clients.aclose()

    async def generate(self, request: GenerationRequest) -> ProviderResult:
        """One call per variation; blurred (CONTENT_FILTERED) images are dropped, never delivered."""
        check_request(request, self.capabilities, self.name)
        started = time.perf_counter()
        images: list[GeneratedImage] = []
        request_ids: list[str] = []
        filtered = 0
        for offset in range(request.num_variations):
            image, request_id = await self._generate_one(request, stability_seed(request.seed + offset))
            if request_id:
                request_ids.append(request_id)
            if image is None:
                filtered += 1
            else:
                images.append(image)
        if not images:
            raise content_filtered(self.name, "the image was blurred by Stability's content moderation.")
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("provider.stability.generated", endpoint=self.endpoint, count=len(images), filtered=filtered,
                 elapsed_ms=elapsed_ms, request_ids=request_ids)
        metadata: dict[str, object] = {"endpoint": self.endpoint, "request_ids": request_ids,
                                       "seeds": [image.seed for image in images], "elapsed_ms": elapsed_ms}
        if filtered:
            metadata["filtered"] = filtered
        return ProviderResult(images=images, provider=self.name, model=self._model_name(request), metadata=metadata)

    async def _generate_one(self, request: GenerationRequest, seed: int) -> tuple[GeneratedImage | None, str | None]:
        """One image, or None when Stability blurred it (HTTP 200 with CONTENT_FILTERED)."""
        fields, files = self._form(request, seed)
        response = await send(
            self._clients.get(), self.name, "POST", f"{self.base_url}/v2beta/stable-image/generate/{self.endpoint}",
            data=fields, files=files, headers={"Authorization": f"Bearer {self._api_key}", "Accept": "image/*"},
            timeout=request_timeout(self.timeout),
        )
        if response.status_code != 200:
            raise self._error(response)
        content_type = response.headers.get("content-type", "").lower()
        if content_type.startswith("application/json"):
            # Asked for image/*, but the JSON form is documented too: metadata moves into the body.
            body = json_body(response)
            finish_reason, seed_text = body.get("finish_reason"), body.get("seed")
            data = decode_base64(self.name, body.get("image"))
        elif content_type.startswith("image/"):
            finish_reason, seed_text = response.headers.get("finish-reason"), response.headers.get("seed")
            data = response.content
        else:
            raise bad_response(self.name, f"expected an image, got {content_type or 'no content type'}.")
        request_id = response.headers.get("x-request-id")
        if finish_reason == "CONTENT_FILTERED":
            log.info("provider.stability.blurred", request_id=request_id)
            return None, request_id
        if finish_reason not in (None, "SUCCESS"):
            raise bad_response(self.name, f"unknown finish reason {short(finish_reason)!r}.")
        decoded = await read_image(self.name, data)
        image = GeneratedImage(data=decoded.data, content_type=decoded.content_type, width=decoded.width,
                               height=decoded.height, seed=_returned_seed(seed_text, seed))
        return image, request_id

    def _form(self, request: GenerationRequest, seed: int) -> tuple[dict[str, str], dict[str, FilePart]]:
        fields = {"prompt": request.prompt, "seed": str(seed), "output_format": request.output_format}
        if request.negative_prompt:
            fields["negative_prompt"] = request.negative_prompt
        image_to_image = request.reference_image is not None
        if self.endpoint == "sd3":
            if request.model in SD3_MODELS:
                fields["model"] = request.model
            fields["cfg_scale"] = f"{min(max(request.guidance_scale, 1.0), 10.0):g}"
            if image_to_image:
                fields["mode"] = "image-to-image"
        if not (self.endpoint == "sd3" and image_to_image):  # sd3 takes the ratio from the image there
            fields["aspect_ratio"] = nearest_ratio(request.width, request.height, ASPECT_RATIOS)
        if request.reference_image is None:
            # Without a file part httpx would send urlencoded data, which the API does not accept.
            return fields, {"none": (None, b"")}
        fields["strength"] = f"{self.strength:g}"
        mime = sniff_image_type(request.reference_image)
        return fields, {"image": (f"reference.{mime.split('/')[1]}", request.reference_image, mime)}

    def _model_name(self, request: GenerationRequest) -> str:
        if self.endpoint == "sd3":
            return request.model if request.model in SD3_MODELS else SD3_MODELS[0]
        return f"stable-image-{self.endpoint}"

    def _error(self, response: httpx.Response) -> ProviderError:
        """Map an error answer per Stability's documented names; content filters are final, throttling is not."""
        body = json_body(response)
        name = str(body.get("name") or "")
        errors = body.get("errors")
        detail = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(body.get("message") or "")
        detail = detail or response.text
        status = response.status_code
        log.info("provider.stability.refused", status=status, error_name=name, error_id=body.get("id"))
        if (status == 403 and name == "content_moderation") or (status == 422 and name == "public_figure"):
            return content_filtered(self.name, detail)
        if status == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            return ProviderError(f"{self.name} is throttling requests: {short(detail)}", code="provider_rate_limited",
                                 provider=self.name, retryable=True,
                                 retry_after=RATE_LIMIT_PENALTY_SECONDS if wait is None else wait)
        return error_for_status(self.name, response, f"{name}: {detail}" if name else detail)

    async def health(self) -> ProviderHealth:
        """Healthy when the key can read the credit balance (GET /v1/user/balance)."""
        started = time.perf_counter()
        try:
            response = await send(self._clients.get(), self.name, "GET", f"{self.base_url}/v1/user/balance",
                                  headers={"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
                                  timeout=request_timeout(self.timeout))
        except ProviderError as error:
            return ProviderHealth(self.name, True, False, error.message, _ms_since(started))
        if response.status_code != 200:
            return ProviderHealth(self.name, True, False, self._error(response).message, _ms_since(started))
        credits = json_body(response).get("credits")
        detail = f"{credits:.2f} credits left" if isinstance(credits, int | float) else "balance readable"
        return ProviderHealth(self.name, True, True, f"{self.endpoint} endpoint; {detail}", _ms_since(started))


def _returned_seed(text: object, sent: int) -> int:
    """The seed Stability reports it used (a header string or a JSON number); the one sent otherwise."""
    try:
        value = int(str(text))
    except ValueError:
        return sent
    return value if 0 <= value < 2**32 else sent


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def from_settings() -> StabilityProvider | None:
    """The configured provider, or None when STABILITY_API_KEY is not set."""
    key = settings.stability_api_key.get_secret_value()
    if not key:
        return None
    return StabilityProvider(key, settings.stability_base_url, settings.stability_endpoint,
                             float(settings.generation_provider_timeout_seconds))
