"""`gemini`: native image output from the Gemini API's `generateContent` (Imagen is retired there).

One call usually yields one image, so variations are separate calls with seeds seed, seed+1, ...
Gemini picks the size (from `imageConfig`) and the file format (usually PNG): images come back at
the size Gemini made and are re-encoded to the requested format when it chose another.

Gemini's `generationConfig.seed` is an int32, so our 0..2**32-1 seed is sent as `seed & 0x7fffffff`
and the image records the seed sent. There is no negative prompt: it is appended to the text as an
"Avoid:" line. A safety block arrives as HTTP 200, so every answer's feedback is inspected.
"""

from __future__ import annotations

import asyncio
import base64
import io
import time
from typing import Any

import httpx
from PIL import Image

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.providers.base import (
    Capabilities,
    GeneratedImage,
    GenerationRequest,
    OutputFormat,
    ProviderError,
    ProviderHealth,
    ProviderResult,
    check_request,
)
from services.providers.http import (
    CONTENT_TYPES,
    ClientHolder,
    bad_response,
    content_filtered,
    decode_base64,
    error_for_status,
    json_body,
    nearest_ratio,
    parse_duration,
    parse_retry_after,
    read_image,
    request_timeout,
    send,
    short,
    sniff_image_type,
)

log = get_logger(__name__)

NAME = "gemini"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
DEFAULT_MODEL = "gemini-3.1-flash-image"
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9")
SEED_MASK = 0x7FFF_FFFF
# finishReasons that mean the output was withheld on policy grounds (a retry will not change that).
FILTER_REASONS = frozenset({"SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "IMAGE_PROHIBITED_CONTENT", "BLOCKLIST",
                            "SPII", "RECITATION", "IMAGE_RECITATION"})
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
QUOTA_FAILURE = "type.googleapis.com/google.rpc.QuotaFailure"

CAPABILITIES = Capabilities(
    sizes=None,
    max_width=2048,
    max_height=2048,
    max_variations=4,
    reference_image=True,
    negative_prompt=True,
    seed=True,
    output_formats=("png", "jpeg", "webp"),
)


class GeminiProvider:
    """Gemini image models through `POST {base}/models/{model}:generateContent`."""

    name = NAME
    capabilities = CAPABILITIES

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        timeout: float = 120.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self._clients = ClientHolder(timeout, client)

    def __repr__(self) -> str:  # never show the key, even in a traceback's locals
        return f"GeminiProvider(model={self.model!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._clients.aclose()

    @property
    def _headers(self) -> dict[str, str]:
        # The header, not ?key=, so the key never lands in a logged URL.
        return {"x-goog-api-key": self._api_key}

    async def generate(self, request: GenerationRequest) -> ProviderResult:
        """Call once per variation until `num_variations` images have arrived."""
        check_request(request, self.capabilities, self.name)
        started = time.perf_counter()
        images: list[GeneratedImage] = []
        response_ids: list[str] = []
        withheld: list[str] = []
        model_version = self.model
        for offset in range(request.num_variations):
            if len(images) >= request.num_variations:
                break  # an answer may carry several images
            seed = (request.seed + offset) & SEED_MASK
            body = await self._generate_content(self.body(request, seed))
            if isinstance(body.get("responseId"), str):
                response_ids.append(body["responseId"])
            model_version = str(body.get("modelVersion") or model_version)
            got, reason = await self._images(body, seed, request.output_format)
            images.extend(got)
            if reason:
                withheld.append(reason)
        if not images:
            raise content_filtered(self.name, f"the image was withheld ({', '.join(withheld)}).")
        images = images[: request.num_variations]
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("provider.gemini.generated", model=model_version, count=len(images), elapsed_ms=elapsed_ms,
                 response_ids=response_ids)
        metadata: dict[str, Any] = {"response_ids": response_ids, "seeds": [image.seed for image in images],
                                    "elapsed_ms": elapsed_ms}
        if withheld:
            metadata["filtered"] = len(withheld)
        return ProviderResult(images=images, provider=self.name, model=model_version, metadata=metadata)

    def body(self, request: GenerationRequest, seed: int) -> dict[str, Any]:
        """The generateContent request for one image of `request`."""
        text = request.prompt + (f"\n\nAvoid: {request.negative_prompt}" if request.negative_prompt else "")
        parts: list[dict[str, Any]] = [{"text": text}]
        if request.reference_image is not None:
            parts.append({"inlineData": {"mimeType": sniff_image_type(request.reference_image),
                                         "data": base64.b64encode(request.reference_image).decode("ascii")}})
        image_config: dict[str, str] = {"aspectRatio": nearest_ratio(request.width, request.height, ASPECT_RATIOS)}
        if max(request.width, request.height) > 1024:
            image_config["imageSize"] = "2K"  # 1K is the default; only ask for more when it was asked of us
        return {
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": image_config, "seed": seed},
        }

    async def _generate_content(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await send(self._clients.get(), self.name, "POST",
                              f"{self.base_url}/models/{self.model}:generateContent", json=body, headers=self._headers,
                              timeout=request_timeout(self.timeout))
        if response.status_code != 200:
            raise self._error(response)
        try:
            answer = response.json()
        except ValueError as exc:
            raise bad_response(self.name, "the answer is not JSON.") from exc
        if not isinstance(answer, dict):
            raise bad_response(self.name, "the answer is not a JSON object.")
        return answer

    async def _images(
        self, body: dict[str, Any], seed: int, fmt: OutputFormat
    ) -> tuple[list[GeneratedImage], str | None]:
        """The images of one answer, or ([], reason) when a safety finishReason withheld them.

        A blocked prompt raises at once: the next variation would be blocked the same way.
        """
        feedback = body.get("promptFeedback")
        if isinstance(feedback, dict) and feedback.get("blockReason"):
            raise content_filtered(self.name, f"the prompt was blocked ({feedback['blockReason']}).")
        candidates = body.get("candidates")
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
            raise bad_response(self.name, "the answer has no candidates.")
        candidate = candidates[0]
        finish_reason = str(candidate.get("finishReason") or "")
        if finish_reason in FILTER_REASONS:
            return [], finish_reason
        content = candidate.get("content")
        raw_parts = content.get("parts") if isinstance(content, dict) else None
        parts = [part for part in raw_parts or [] if isinstance(part, dict) and not part.get("thought")]
        inline = [part.get("inlineData") or part.get("inline_data") for part in parts]
        images = [await self._image(item, seed, fmt) for item in inline if isinstance(item, dict)]
        if not images:
            said = " ".join(str(part["text"]) for part in parts if isinstance(part.get("text"), str))
            # NO_IMAGE / IMAGE_OTHER / OTHER, or a text-only STOP: the model may well draw on another try.
            raise bad_response(self.name, f"no image came back (finishReason {finish_reason or 'missing'})"
                               + (f"; it said: {short(said)}" if said else "."))
        return images, None

    async def _image(self, inline: dict[str, Any], seed: int, fmt: OutputFormat) -> GeneratedImage:
        decoded = await read_image(self.name, decode_base64(self.name, inline.get("data")))
        data = decoded.data
        if decoded.content_type != CONTENT_TYPES[fmt]:
            data = await asyncio.to_thread(_reencode, data, fmt)
        return GeneratedImage(data=data, content_type=CONTENT_TYPES[fmt], width=decoded.width,
                              height=decoded.height, seed=seed)

    def _error(self, response: httpx.Response) -> ProviderError:
        """Map a google.rpc error answer; a bad key hides behind 400, a daily quota behind 429."""
        error = json_body(response).get("error")
        error = error if isinstance(error, dict) else {}
        message = str(error.get("message") or response.text)
        status_name = str(error.get("status") or "")
        details = [d for d in error.get("details") or [] if isinstance(d, dict)]
        status = response.status_code
        log.info("provider.gemini.refused", status=status, rpc_status=status_name)
        if status == 400 and any(d.get("reason") == "API_KEY_INVALID" for d in details):
            return ProviderError(f"{self.name} rejected the API key.", code="provider_auth_failed",
                                 provider=self.name, retryable=False)
        if status == 400 and "responsible ai" in message.lower():
            return content_filtered(self.name, message)
        if status == 400 and status_name == "FAILED_PRECONDITION":
            return ProviderError(f"{self.name} needs billing enabled for this project: {short(message)}",
                                 code="provider_payment_required", provider=self.name, retryable=False)
        if status == 404:
            return ProviderError(f"{self.name} model {self.model!r} was not found (retired or misspelt).",
                                 code="provider_not_found", provider=self.name, retryable=False)
        if status == 429:
            return self._rate_limited(response, message, details)
        return error_for_status(self.name, response, f"{status_name}: {message}" if status_name else message)

    def _rate_limited(self, response: httpx.Response, message: str, details: list[dict[str, Any]]) -> ProviderError:
        quota_ids = [str(violation.get("quotaId") or "")
                     for detail in details if detail.get("@type") == QUOTA_FAILURE
                     for violation in detail.get("violations") or [] if isinstance(violation, dict)]
        if any("PerDay" in quota_id for quota_id in quota_ids):
            # A daily cap only lifts at the quota reset (midnight Pacific): retrying soon is pointless.
            return ProviderError(f"{self.name} daily quota is used up ({', '.join(quota_ids)}); it resets at "
                                 "midnight Pacific time.", code="provider_rate_limited", provider=self.name,
                                 retryable=False)
        delays = [parse_duration(d.get("retryDelay")) for d in details if d.get("@type") == RETRY_INFO]
        wait = next((delay for delay in delays if delay is not None), None)
        if wait is None:
            wait = parse_retry_after(response.headers.get("retry-after"))
        return ProviderError(f"{self.name} is throttling requests: {short(message)}", code="provider_rate_limited",
                             provider=self.name, retryable=True, retry_after=wait)

    async def health(self) -> ProviderHealth:
        """Healthy when the key can read the configured model (GET {base}/models/{model})."""
        started = time.perf_counter()
        try:
            response = await send(self._clients.get(), self.name, "GET", f"{self.base_url}/models/{self.model}",
                                  headers=self._headers, timeout=request_timeout(self.timeout))
        except ProviderError as error:
            return ProviderHealth(self.name, True, False, error.message, _ms_since(started))
        if response.status_code != 200:
            return ProviderHealth(self.name, True, False, self._error(response).message, _ms_since(started))
        body = json_body(response)
        label = body.get("displayName") or body.get("name") or self.model
        return ProviderHealth(self.name, True, True, f"{label} available", _ms_since(started))


def _reencode(data: bytes, fmt: OutputFormat) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        converted = image.convert("RGB") if fmt == "jpeg" and image.mode not in ("RGB", "L") else image
        buffer = io.BytesIO()
        converted.save(buffer, format=fmt.upper(), **({} if fmt == "png" else {"quality": 95}))
        return buffer.getvalue()


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def from_settings() -> GeminiProvider | None:
    """The configured provider, or None when GEMINI_API_KEY is not set."""
    key = settings.gemini_api_key.get_secret_value()
    if not key:
        return None
    return GeminiProvider(key, settings.gemini_base_url, settings.gemini_model,
                          float(settings.generation_provider_timeout_seconds))
