"""`replicate`: predictions on Replicate's HTTP API v1, mapped for black-forest-labs/flux-schnell.

A prediction is created with `Prefer: wait=N` (Replicate holds the request up to N seconds); when
the answer is not terminal yet, `urls.get` is polled with a growing pause until it is, or until
our time budget runs out, in which case the prediction is canceled so it stops billing. Output
files live about an hour, so they are downloaded at once: from the configured API host through
the authenticated client, from anywhere else through the SSRF guard; both capped at MAX_IMAGE_SIZE.

Seeds: Replicate treats 0 as "random", so our seed 0 is sent as 1. All `num_outputs` images of one
prediction share the seed sent; `go_fast` is off because fp8 mode ignores the seed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from dreampixel.core.logging import get_logger
from dreampixel.core.settings import settings
from services.images.fetch import FetchFailed, UnsafeUrl, fetch
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
    download,
    error_for_status,
    json_body,
    nearest_ratio,
    parse_resets_in,
    parse_retry_after,
    read_image,
    request_timeout,
    send,
    short,
    too_large,
)

log = get_logger(__name__)

NAME = "replicate"
DEFAULT_BASE_URL = "https://api.replicate.com/v1"
DEFAULT_MODEL = "black-forest-labs/flux-schnell"
ASPECT_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
# How flux-schnell ("NSFW") and partner models ("flagged as sensitive ... (E005)") report a safety refusal.
FILTER_MARKERS = ("nsfw", "flagged as sensitive", "e005")
OUTPUT_FORMATS = {"png": "png", "jpeg": "jpg", "webp": "webp"}
# Below the geometric mean of 0.25 MP and 1 MP a request is closer to flux's small size.
SMALL_AREA = 512 * 1024
MAX_PREFER_WAIT = 60
CANCEL_TIMEOUT_SECONDS = 5.0

CAPABILITIES = Capabilities(
    sizes=None,
    max_width=2048,
    max_height=2048,
    max_variations=4,
    reference_image=False,
    negative_prompt=False,
    seed=True,
    output_formats=("png", "jpeg", "webp"),
)


class ReplicateProvider:
    """Replicate predictions: create (sync wait), poll, cancel on timeout, download outputs."""

    name = NAME
    capabilities = CAPABILITIES

    def __init__(
        self,
        api_token: str,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        timeout: float = 120.0,
        client: httpx.AsyncClient | None = None,
        *,
        poll_interval: float = 0.5,
        max_poll_interval: float = 5.0,
        output_quality: int = 90,
    ) -> None:
        owner_name, _, version = model.partition(":")
        if owner_name.count("/") != 1:
            raise ValueError(f"a Replicate model is 'owner/name' or 'owner/name:version', not {model!r}")
        self._token = api_token
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._owner_name, self._version = owner_name, version
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.output_quality = output_quality
        self._clients = ClientHolder(timeout, client)
        self._background: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:  # never show the token, even in a traceback's locals
        return f"ReplicateProvider(model={self.model!r}, base_url={self.base_url!r})"

    async def aclose(self) -> None:
        await self._clients.aclose()

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def generate(self, request: GenerationRequest) -> ProviderResult:
        """Run one prediction for all variations; images the safety checker dropped are counted, not faked."""
        check_request(request, self.capabilities, self.name)
        started = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        seed = request.seed or 1
        prediction = await self._create(request, seed, deadline)
        try:
            prediction = await self._until_terminal(prediction, deadline)
        except asyncio.CancelledError:
            # Our caller gave up (the router's own timeout): stop the prediction so it stops billing.
            self._cancel_in_background(prediction)
            raise
        images = await self._finish(prediction, seed, deadline)
        filtered = max(0, request.num_variations - len(images))
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("provider.replicate.generated", model=self.model, prediction_id=prediction.get("id"),
                 count=len(images), filtered=filtered, elapsed_ms=elapsed_ms)
        metadata: dict[str, Any] = {"prediction_id": prediction.get("id"), "elapsed_ms": elapsed_ms}
        metrics = prediction.get("metrics")
        if isinstance(metrics, dict) and "predict_time" in metrics:
            metadata["predict_time"] = metrics["predict_time"]
        if filtered:
            metadata["filtered"] = filtered
        return ProviderResult(images=images, provider=self.name, model=str(prediction.get("model") or self.model),
                              metadata=metadata)

    def inputs(self, request: GenerationRequest, seed: int) -> dict[str, Any]:
        """flux-schnell's input object for `request`."""
        small = request.width * request.height <= SMALL_AREA
        return {
            "prompt": request.prompt,
            "aspect_ratio": nearest_ratio(request.width, request.height, ASPECT_RATIOS),
            "megapixels": "0.25" if small else "1",
            "num_outputs": request.num_variations,
            "num_inference_steps": min(max(request.steps, 1), 4),
            "seed": seed,
            "output_format": OUTPUT_FORMATS[request.output_format],
            "output_quality": self.output_quality,
            "go_fast": False,
        }

    async def _create(self, request: GenerationRequest, seed: int, deadline: float) -> dict[str, Any]:
        # Leave half the budget for polling and downloads after the held request returns.
        wait = max(1, min(MAX_PREFER_WAIT, int(self.timeout / 2)))
        body: dict[str, Any] = {"input": self.inputs(request, seed)}
        if self._version:
            url = f"{self.base_url}/predictions"
            body = {"version": self._version, **body}
        else:
            url = f"{self.base_url}/models/{self._owner_name}/predictions"
        response = await send(
            self._clients.get(), self.name, "POST", url, json=body,
            headers={**self._auth, "Prefer": f"wait={wait}"},
            timeout=self._timeout_until(deadline, cap=wait + 5),
        )
        if response.status_code not in (200, 201):
            raise self._error(response)
        prediction = json_body(response)
        if not isinstance(prediction.get("id"), str) or not isinstance(prediction.get("status"), str):
            raise bad_response(self.name, "the prediction has no id or status.")
        log.info("provider.replicate.created", prediction_id=prediction["id"], status=prediction["status"])
        return prediction

    async def _until_terminal(self, prediction: dict[str, Any], deadline: float) -> dict[str, Any]:
        delay = self.poll_interval
        while prediction.get("status") not in TERMINAL:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await self._cancel(prediction)
                raise ProviderError(f"{self.name} did not finish within {self.timeout:g} s; the prediction was canceled.",
                                    code="provider_timeout", provider=self.name, retryable=True)
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, self.max_poll_interval)
            try:
                prediction = await self._poll(prediction, deadline)
            except ProviderError as error:
                # A throttled or failed poll says nothing about the prediction: keep waiting if we may.
                if not error.retryable:
                    raise
                delay = max(delay, min(error.retry_after or 0.0, self.max_poll_interval))
        return prediction

    async def _poll(self, prediction: dict[str, Any], deadline: float) -> dict[str, Any]:
        response = await send(self._clients.get(), self.name, "GET", self._prediction_url(prediction, "get"),
                              headers=self._auth, timeout=self._timeout_until(deadline))
        if response.status_code != 200:
            raise self._error(response)
        polled = json_body(response)
        if not isinstance(polled.get("status"), str):
            raise bad_response(self.name, "the prediction has no status.")
        return polled

    async def _cancel(self, prediction: dict[str, Any]) -> None:
        """Best effort: a failed cancel must not hide the timeout that caused it."""
        try:
            response = await send(self._clients.get(), self.name, "POST", self._prediction_url(prediction, "cancel"),
                                  headers=self._auth, timeout=request_timeout(CANCEL_TIMEOUT_SECONDS))
        except ProviderError as error:
            log.warning("provider.replicate.cancel_failed", prediction_id=prediction.get("id"), error=error.message)
            return
        log.info("provider.replicate.canceled", prediction_id=prediction.get("id"), status=response.status_code)

    def _cancel_in_background(self, prediction: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._cancel(prediction))
        self._background.add(task)  # keep a reference until done, or the loop may drop the task
        task.add_done_callback(self._background.discard)

    def _prediction_url(self, prediction: dict[str, Any], action: str) -> str:
        """`urls.get`/`urls.cancel` when they point at our API host; built from the id otherwise.

        The token is sent to these URLs, so a prediction may not steer it to another host.
        """
        urls = prediction.get("urls")
        url = urls.get(action) if isinstance(urls, dict) else None
        if isinstance(url, str) and _same_origin(url, self.base_url):
            return url
        suffix = "/cancel" if action == "cancel" else ""
        return f"{self.base_url}/predictions/{prediction['id']}{suffix}"

    async def _finish(self, prediction: dict[str, Any], seed: int, deadline: float) -> list[GeneratedImage]:
        status = prediction["status"]
        error = short(prediction.get("error") or "")
        if status == "failed":
            if any(marker in error.lower() for marker in FILTER_MARKERS):
                raise content_filtered(self.name, error)
            raise ProviderError(f"{self.name} model failed: {error or 'no reason given'}",
                                code="provider_bad_response", provider=self.name, retryable=False)
        if status == "canceled":
            raise ProviderError(f"{self.name} prediction was canceled.", code="provider_unavailable",
                                provider=self.name, retryable=False)
        if status == "aborted":  # its deadline passed before it started: nothing ran, nothing was charged
            raise ProviderError(f"{self.name} prediction was aborted before it started.", code="provider_unavailable",
                                provider=self.name, retryable=True)
        output = prediction.get("output")
        urls = [output] if isinstance(output, str) else output
        if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
            raise bad_response(self.name, "the prediction succeeded without a list of output files.")
        if not urls:
            raise content_filtered(self.name, "every image was removed by the model's safety checker.")
        return [await self._download(url, seed, deadline) for url in urls]

    async def _download(self, url: str, seed: int, deadline: float) -> GeneratedImage:
        if url.startswith("data:"):
            header, _, payload = url.partition(",")
            if not header.endswith(";base64"):
                raise bad_response(self.name, "an output data URI is not base64.")
            data = decode_base64(self.name, payload)
        elif _same_origin(url, self.base_url):  # the API host the operator configured
            data = await download(self._clients.get(), self.name, url, headers=self._auth,
                                  timeout=self._timeout_until(deadline), max_bytes=settings.max_image_size)
        else:
            data = await self._fetch_elsewhere(url, deadline)
        decoded = await read_image(self.name, data)
        return GeneratedImage(data=decoded.data, content_type=decoded.content_type, width=decoded.width,
                              height=decoded.height, seed=seed)

    async def _fetch_elsewhere(self, url: str, deadline: float) -> bytes:
        """A file on another host goes through the SSRF guard: public addresses only, size capped."""
        headers = self._auth if _may_carry_token(url, self.base_url) else {}
        try:
            fetched = await fetch(url, max_bytes=settings.max_image_size,
                                  timeout=max(deadline - time.monotonic(), 0.05), headers=headers)
        except UnsafeUrl as error:
            raise ProviderError(f"{self.name} pointed at an output file we do not fetch: {error.message}",
                                code="provider_bad_response", provider=self.name, retryable=False) from error
        except FetchFailed as error:
            if error.code == "image_too_large":
                raise too_large(self.name, settings.max_image_size) from error
            raise bad_response(self.name, error.message) from error
        return fetched.content

    def _timeout_until(self, deadline: float, *, cap: float | None = None) -> httpx.Timeout:
        remaining = max(deadline - time.monotonic(), 0.05)
        return request_timeout(remaining if cap is None else min(cap, remaining))

    def _error(self, response: httpx.Response) -> ProviderError:
        """Map an RFC 7807 problem answer; 429 waits for Retry-After or the "resets in ~Ns" text."""
        body = json_body(response)
        detail = str(body.get("detail") or body.get("title") or response.text)
        log.info("provider.replicate.refused", status=response.status_code, title=body.get("title"))
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            return ProviderError(f"{self.name} is throttling requests: {short(detail)}", code="provider_rate_limited",
                                 provider=self.name, retryable=True,
                                 retry_after=wait if wait is not None else parse_resets_in(detail))
        return error_for_status(self.name, response, detail)

    async def health(self) -> ProviderHealth:
        """Healthy when the token can read its account (GET /account)."""
        started = time.perf_counter()
        try:
            response = await send(self._clients.get(), self.name, "GET", f"{self.base_url}/account",
                                  headers=self._auth, timeout=request_timeout(self.timeout))
        except ProviderError as error:
            return ProviderHealth(self.name, True, False, error.message, _ms_since(started))
        if response.status_code != 200:
            return ProviderHealth(self.name, True, False, self._error(response).message, _ms_since(started))
        username = json_body(response).get("username")
        return ProviderHealth(self.name, True, True, f"{self.model} as {username or 'unknown account'}",
                              _ms_since(started))


def _same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _may_carry_token(url: str, base_url: str) -> bool:
    """Replicate wants the token on its delivery hosts; nobody else gets it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    delivery = parts.scheme == "https" and (host == "replicate.delivery" or host.endswith(".replicate.delivery"))
    return delivery or _same_origin(url, base_url)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def from_settings() -> ReplicateProvider | None:
    """The configured provider, or None when REPLICATE_API_TOKEN is not set."""
    token = settings.replicate_api_token.get_secret_value()
    if not token:
        return None
    return ReplicateProvider(token, settings.replicate_base_url, settings.replicate_model,
                             float(settings.generation_provider_timeout_seconds))
