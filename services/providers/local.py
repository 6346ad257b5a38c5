"""`local`: the offline default provider, a deterministic procedural painter (numpy + Pillow)."""

from __future__ import annotations

import time

from dreampixel.core.logging import get_logger
from services.images import pool
from services.providers.base import (
    Capabilities,
    GeneratedImage,
    GenerationRequest,
    ProviderError,
    ProviderHealth,
    ProviderResult,
    check_request,
)
from services.providers.procedural.render import CONTENT_TYPES, encode, paint, reference_colours

log = get_logger(__name__)

MODEL = "procedural-v1"


class LocalProvider:
    """Same prompt, seed and settings give byte-identical images; variations use seed, seed+1, ..."""

    name = "local"
    capabilities = Capabilities(
        sizes=None,
        max_width=2048,
        max_height=2048,
        max_variations=4,
        reference_image=True,
        negative_prompt=True,
        seed=True,
        output_formats=("png", "jpeg", "webp"),
    )

    async def generate(self, request: GenerationRequest) -> ProviderResult:
        """Paint the request's images off the event loop: in the worker's process pool, or a thread."""
        check_request(request, self.capabilities, self.name)
        started = time.perf_counter()
        # In the pool, painting runs beside the pipeline on every core instead of contending
        # for the worker process's GIL with the database, Redis and the event loop.
        images = await pool.run(self.render, request)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info(
            "provider.local.generated",
            count=len(images),
            width=request.width,
            height=request.height,
            elapsed_ms=elapsed_ms,
        )
        return ProviderResult(
            images=images,
            provider=self.name,
            model=MODEL,
            metadata={"elapsed_ms": elapsed_ms, "seeds": [image.seed for image in images]},
        )

    def render(self, request: GenerationRequest) -> list[GeneratedImage]:
        """The images for `request`, synchronously (benchmarks and tests call this directly)."""
        check_request(request, self.capabilities, self.name)
        reference = None
        if request.reference_image is not None:
            try:
                reference = reference_colours(request.reference_image)
            except (OSError, ValueError) as exc:
                raise ProviderError(
                    "The reference image could not be read.",
                    code="invalid_request",
                    provider=self.name,
                    retryable=False,
                ) from exc
        images = []
        for offset in range(request.num_variations):
            seed = (request.seed + offset) % 2**32
            pixels = paint(
                request.prompt,
                seed=seed,
                width=request.width,
                height=request.height,
                negative_prompt=request.negative_prompt,
                reference=reference,
            )
            images.append(
                GeneratedImage(
                    data=encode(pixels, request.output_format),
                    content_type=CONTENT_TYPES[request.output_format],
                    width=request.width,
                    height=request.height,
                    seed=seed,
                )
            )
        return images

    async def health(self) -> ProviderHealth:
        """Always healthy: it needs nothing but this machine."""
        return ProviderHealth(
            name=self.name, configured=True, healthy=True, detail="offline procedural generator", latency_ms=0.0
        )
