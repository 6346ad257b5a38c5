"""A fake Stability AI v2beta Stable Image API: multipart generate and the credit balance."""

from __future__ import annotations

import asyncio
import base64
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Received, image_size, ratio_size, solid_image

STABILITY_KEY = "sk-fake-stability-5f2c9e1d7a"
STABILITY_RATIOS = ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
STABILITY_FORMATS = {"ultra": ("jpeg", "png", "webp"), "core": ("png", "jpeg", "webp"), "sd3": ("png", "jpeg", "webp")}
STYLE_PRESETS = ("enhance", "anime", "photographic", "digital-art", "comic-book", "fantasy-art", "line-art",
                 "analog-film", "neon-punk", "isometric", "low-poly", "origami", "modeling-compound", "cinematic",
                 "3d-model", "pixel-art", "tile-texture")
STABILITY_FIELDS = {
    "ultra": {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format", "style_preset", "image",
              "strength"},
    "core": {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format", "style_preset"},
    "sd3": {"prompt", "negative_prompt", "aspect_ratio", "seed", "output_format", "style_preset", "image", "strength",
            "mode", "model", "cfg_scale"},
}
STABILITY_MAX_SEED = 4_294_967_294
TEN_MIB = 10 * 1024 * 1024
STABILITY_ERRORS = {
    400: ("bad_request", "some-field: is required"),
    402: ("payment_required", "You lack sufficient credits to make this request. Please purchase more credits at "
                              "https://platform.stability.ai/account/credits and try again."),
    403: ("content_moderation", "Your request was flagged by our content moderation system, as a result your "
                                "request was denied and you were not charged."),
    404: ("not_found", "Not found."),
    413: ("payload_too_large", "body: payloads cannot be larger than 10MiB in size"),
    422: ("invalid_language", "English is the only supported language for this service."),
    429: ("rate_limit_exceeded", "You have exceeded the rate limit of 150 requests within a 10 second period, and "
                                 "have been timed out for 60 seconds."),
    500: ("internal_error", "An unexpected server error has occurred, please try again later."),
}
PUBLIC_FIGURE = ("Our system detected the likeness of a public figure in your image. To comply with our guidelines, "
                 "this request cannot be processed. Please upload a different image.")


class FakeStability(FakeProvider):
    """Stability v2beta generate (ultra, core, sd3) and /v1/user/balance.

    Script kinds: "status" (code, name=..., errors=[...], headers={...}); "slow" (seconds=...);
    "malformed" (200 image/png whose bytes are not an image); "not_image" (200 text/html);
    "content_filtered" (200 + finish-reason CONTENT_FILTERED and a blurred image);
    "public_figure" (422 public_figure); "json" (answer in the JSON form even to Accept: image/*).
    """

    api_key = STABILITY_KEY

    def __init__(self) -> None:
        super().__init__()
        self.credits = 42.5

    def routes(self) -> list[Route]:
        return [Route("/v2beta/stable-image/generate/{endpoint}", self.generate, methods=["POST"]),
                Route("/v1/user/balance", self.balance, methods=["GET"])]

    def is_generation(self, received: Received) -> bool:
        return received.path.startswith("/v2beta/stable-image/generate/")

    @staticmethod
    def error(status: int, name: str | None = None, errors: list[str] | None = None,
              headers: dict[str, str] | None = None) -> JSONResponse:
        default_name, default_text = STABILITY_ERRORS.get(status, ("error", "Something went wrong."))
        return JSONResponse({"id": secrets.token_hex(16), "name": name or default_name,
                             "errors": errors or [default_text]}, status_code=status, headers=headers)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def balance(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return JSONResponse({"id": secrets.token_hex(16), "name": "unauthorized",
                                 "message": "missing authorization header"}, status_code=401)
        return JSONResponse({"credits": self.credits})

    async def generate(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        if endpoint not in STABILITY_FIELDS:
            return self.error(404)
        if endpoint != "core" and int(request.headers.get("content-length") or 0) > TEN_MIB:
            return self.error(413)
        received = await self.record(request)
        if not self.authorized(request):
            return self.error(401, "unauthorized", ["authorization: invalid or missing API key"])
        accept = request.headers.get("accept", "image/*")
        if accept not in ("image/*", "application/json"):
            return self.error(400, errors=[f"accept: must be image/* or application/json, got {accept}"])
        if not received.content_type.startswith("multipart/form-data"):
            return self.error(400, errors=["content-type: must be multipart/form-data"])
        problems, size = self.validate(endpoint, received)
        if problems:
            return self.error(400, errors=problems)

        step = self.next_step()
        if step and step.kind == "slow":
            await asyncio.sleep(step.options.get("seconds", 1.0))
            step = self.next_step() if step.options.get("then_next") else None
        kind = step.kind if step else "ok"
        if step and kind == "status":
            return self.error(step.args[0], step.options.get("name"), step.options.get("errors"),
                              step.options.get("headers"))
        if kind == "public_figure":
            return self.error(422, "public_figure", [PUBLIC_FIGURE])
        if kind == "malformed":
            return Response(b"\x89PNG\r\n\x1a\nthis is not really a png", media_type="image/png",
                            headers={"finish-reason": "SUCCESS", "seed": "1"})
        if kind == "not_image":
            return Response(b"<html><body>Bad gateway</body></html>", media_type="text/html")

        fmt = received.fields.get("output_format", "png")
        sent_seed = int(received.fields.get("seed", "0"))
        seed = sent_seed or secrets.randbelow(STABILITY_MAX_SEED) + 1
        filtered = kind == "content_filtered"
        data = solid_image(*size, fmt, (128, 128, 128) if filtered else (214, 96, 52))
        finish_reason = "CONTENT_FILTERED" if filtered else "SUCCESS"
        request_id = secrets.token_hex(16)
        if accept == "application/json" or kind == "json":
            return JSONResponse({"image": base64.b64encode(data).decode(), "finish_reason": finish_reason,
                                 "seed": seed}, headers={"content-type": f"application/json; type=image/{fmt}",
                                                         "x-request-id": request_id})
        return Response(data, media_type=f"image/{fmt}",
                        headers={"finish-reason": finish_reason, "seed": str(seed), "x-request-id": request_id})

    def validate(self, endpoint: str, received: Received) -> tuple[list[str], tuple[int, int]]:
        """Problems with the form, as Stability words them, and the output size it implies."""
        fields, files, problems = received.fields, received.files, []
        # Stability's own sample adds an empty `none` part only to force multipart; it is ignored.
        names = (set(fields) | set(files)) - {"none"}
        problems += [f"{name}: unknown field" for name in sorted(names - STABILITY_FIELDS[endpoint])]
        prompt = fields.get("prompt", "")
        if not 1 <= len(prompt) <= 10_000:
            problems.append("prompt: is required and must be 1-10000 characters")
        if len(fields.get("negative_prompt", "")) > 10_000:
            problems.append("negative_prompt: must be at most 10000 characters")
        if "seed" in fields and not (fields["seed"].isdigit() and int(fields["seed"]) <= STABILITY_MAX_SEED):
            problems.append(f"seed: must be an integer from 0 to {STABILITY_MAX_SEED}")
        if fields.get("output_format", "png") not in STABILITY_FORMATS[endpoint]:
            problems.append(f"output_format: must be one of {', '.join(STABILITY_FORMATS[endpoint])}")
        if "style_preset" in fields and fields["style_preset"] not in STYLE_PRESETS:
            problems.append("style_preset: unknown preset")
        ratio = fields.get("aspect_ratio", "1:1")
        if ratio not in STABILITY_RATIOS:
            problems.append(f"aspect_ratio: must be one of {', '.join(STABILITY_RATIOS)}")
        if "image" in fields:
            problems.append("image: must be a file")
        image = files.get("image")
        image_to_image = endpoint == "sd3" and fields.get("mode") == "image-to-image"
        if endpoint == "sd3":
            if fields.get("mode", "text-to-image") not in ("text-to-image", "image-to-image"):
                problems.append("mode: must be text-to-image or image-to-image")
            if image is not None and not image_to_image:
                problems.append("image: only allowed with mode=image-to-image")
            if image_to_image and image is None:
                problems.append("image: is required with mode=image-to-image")
            if image_to_image and "aspect_ratio" in fields:
                problems.append("aspect_ratio: only valid for text-to-image")
            if fields.get("model", "sd3.5-large") not in ("sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium"):
                problems.append("model: unknown model")
            if "cfg_scale" in fields and not _number_in(fields["cfg_scale"], 1, 10):
                problems.append("cfg_scale: must be a number from 1 to 10")
        if image is not None:
            if "strength" not in fields:
                problems.append("strength: is required when image is provided")
            elif not _number_in(fields["strength"], 0, 1):
                problems.append("strength: must be a number from 0 to 1")
        elif "strength" in fields:
            problems.append("strength: only allowed with an image")
        megapixels = 1.5 if endpoint == "core" else 1.0
        size = ratio_size(ratio if ratio in STABILITY_RATIOS else "1:1", megapixels)
        if image is not None:
            inspected = image_size(image[2])
            if inspected is None:
                problems.append("image: must be a jpeg, png or webp image")
            else:
                _, width, height = inspected
                if endpoint == "ultra" and not (64 <= width <= 16384 and 64 <= height <= 16384
                                                and width * height >= 4096):
                    problems.append("image: each side must be 64-16384 pixels")
                if endpoint == "sd3" and min(width, height) < 64:
                    problems.append("image: each side must be at least 64 pixels")
                if image_to_image:
                    size = ratio_size(f"{width}:{height}", megapixels)
        return problems, size


def _number_in(text: str, low: float, high: float) -> bool:
    try:
        return low <= float(text) <= high
    except ValueError:
        return False
