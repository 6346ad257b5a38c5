"""Fake Stability, Replicate and Gemini HTTP APIs for the provider clients' tests.

Each fake is a small Starlette app served by uvicorn in a background thread on a free loopback
port. It answers the request shapes documented in /work/shared/PROVIDERS.md and validates them the
way the real service would (auth header, multipart, enums, ranges), so a client that sends the wrong
shape fails its test. Tests steer it with a script of behaviours, consumed one per generation call:

    fake.script("status", 429, headers={"Retry-After": "2"})   # an error answer (provider-shaped body)
    fake.script("slow", seconds=0.5)                             # wait, then answer normally
    fake.script("malformed")                                     # 200 with a body that is not usable
    fake.script("content_filtered")                              # the provider's 200 safety form

and reads back what it received: `fake.requests` (every request, health and downloads included),
`fake.generations` (the generation calls only) and `fake.last`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import math
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pytest
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fixtures.processes import free_port, wait_until

STABILITY_KEY = "sk-fake-stability-5f2c9e1d7a"
REPLICATE_TOKEN = "r8_fake_replicate_93b1c0ffee"
GEMINI_KEY = "AIzaFakeGemini-7c41d2e9b8"

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}


@lru_cache(maxsize=64)
def solid_image(width: int, height: int, fmt: str, colour: tuple[int, int, int] = (214, 96, 52)) -> bytes:
    """A solid-colour image in `fmt` (png, jpeg/jpg, webp); cached because the same few sizes recur."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format=PIL_FORMATS[fmt])
    return buffer.getvalue()


def ratio_size(ratio: str, megapixels: float, multiple: int = 64) -> tuple[int, int]:
    """The w x h of about `megapixels` in aspect `ratio`, each side a multiple of `multiple`."""
    w, h = (int(part) for part in ratio.split(":"))
    width = math.sqrt(megapixels * 1024 * 1024 * w / h)
    return round(width / multiple) * multiple, round(width * h / w / multiple) * multiple


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) when `data` is a whole PNG/JPEG/WebP image, else None."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.format not in ("PNG", "JPEG", "WEBP"):
                return None
            return image.format, image.width, image.height
    except Exception:
        return None


@dataclass
class Received:
    """One request as the fake saw it; `fields`/`files` for multipart or form bodies, `json` for JSON."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    content_type: str
    body: bytes
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str | None, str | None, bytes]] = field(default_factory=dict)
    json: Any = None


@dataclass
class Step:
    kind: str
    args: tuple[Any, ...]
    options: dict[str, Any]


class FakeProvider:
    """What every fake shares: the script, the request log, and its uvicorn server thread."""

    api_key: str
    prefix: str = ""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self.port = 0
        self.app = Starlette(routes=self.routes())

    # --- scripting and reading back ------------------------------------------------------------

    def script(self, kind: str, *args: Any, **options: Any) -> None:
        """Queue a behaviour for the next generation call (see each fake's docstring for kinds)."""
        with self._lock:
            self._steps.append(Step(kind, args, options))

    def reset(self) -> None:
        with self._lock:
            self._steps.clear()
            self.requests.clear()

    def next_step(self) -> Step | None:
        with self._lock:
            return self._steps.popleft() if self._steps else None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    @property
    def generations(self) -> list[Received]:
        return [r for r in self.requests if self.is_generation(r)]

    @property
    def last(self) -> Received:
        return self.requests[-1]

    def is_generation(self, received: Received) -> bool:
        raise NotImplementedError

    def routes(self) -> list[Route]:
        raise NotImplementedError

    async def record(self, request: Request) -> Received:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        received = Received(request.method, request.url.path, dict(request.query_params), dict(request.headers),
                            content_type, body)
        if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            async with request.form(max_part_size=20 * 1024 * 1024) as form:
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        received.files[name] = (value.filename, value.content_type, await value.read())
                    else:
                        received.fields[name] = value
        elif body:
            try:
                received.json = json.loads(body)
            except ValueError:
                received.json = None
        with self._lock:
            self.requests.append(received)
        return received

    # --- running -------------------------------------------------------------------------------

    def serve(self) -> _ServerThread:
        return _ServerThread(self)


class _ServerThread:
    """uvicorn.Server on its own loop in a daemon thread; stopped by asking it to exit."""

    def __init__(self, fake: FakeProvider) -> None:
        fake.port = free_port()
        config = uvicorn.Config(fake.app, host="127.0.0.1", port=fake.port, log_level="warning", lifespan="off",
                                access_log=False, timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"fake-{type(fake).__name__}", daemon=True)

    def __enter__(self) -> _ServerThread:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=10, what="fake provider server")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


# =================================================================================================
# Stability AI v2beta
# =================================================================================================

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


# =================================================================================================
# Replicate HTTP API v1
# =================================================================================================

REPLICATE_RATIOS = {"1:1": (1024, 1024), "16:9": (1344, 768), "21:9": (1536, 640), "3:2": (1216, 832),
                    "2:3": (832, 1216), "4:5": (896, 1088), "5:4": (1088, 896), "3:4": (896, 1152),
                    "4:3": (1152, 896), "9:16": (768, 1344), "9:21": (640, 1536)}
FLUX_SCHNELL = "black-forest-labs/flux-schnell"
FLUX_SCHNELL_VERSION = "c846a69991daf4c0e5d016514849d14ee5b2e6846ce6b9d6f21369e564cfe51e"
PREFER = re.compile(r"^wait(=([1-9]|[1-9][0-9]|60))?$")
NSFW_ERROR = "All generated images contained NSFW content. Try running it again with a different prompt."
E005_ERROR = ("Prediction failed for an unknown reason. The input or output was flagged as sensitive. Please try "
              "again with different inputs. (E005) (Xy7wQeRtYu)")
REPLICATE_ERRORS = {
    401: {"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401},
    402: {"title": "Insufficient credit", "detail": "You have insufficient credit to run this model. Go to "
          "https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait "
          "a few minutes before trying again.", "status": 402},
    404: {"title": "Not found", "detail": "The requested resource could not be found.", "status": 404},
    422: {"title": "Input validation failed", "detail": "- input.num_inference_steps: Must be less than or equal "
          "to 4\n", "status": 422, "invalid_fields": [{"type": "number_lte", "field": "input.num_inference_steps",
                                                       "description": "Must be less than or equal to 4"}]},
    429: {"detail": "Request was throttled. Your rate limit resets in ~30s."},
    500: {"title": "Internal server error", "detail": "Something went wrong.", "status": 500},
}


@dataclass
class FakePrediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    outcome: Step
    polls_left: int
    status: str = "starting"
    output: Any = None
    error: str | None = None


class FakeReplicate(FakeProvider):
    """Replicate predictions (official-model and version routes), polling, cancel, /account, file delivery.

    Script kinds, all taking `polls=N` (answer `starting`, reach the outcome on the Nth GET; default 0:
    terminal in the create answer, as if `Prefer: wait` sufficed): "status" (code, body=..., headers=...);
    "slow" (seconds=...: the create answer is held that long); "stuck" (never finishes); "nsfw"; "e005";
    "failed" (error=...); "partial" (keep=k); "canceled"; "aborted"; "output_string"; "data_uri";
    "bad_output" (the file is not an image); "malformed" (the create answer is not JSON).
    """

    api_key = REPLICATE_TOKEN
    prefix = "/v1"

    def __init__(self) -> None:
        super().__init__()
        self.predictions: dict[str, FakePrediction] = {}
        self.files: dict[str, tuple[bytes, str]] = {}

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.predictions.clear()
            self.files.clear()

    def routes(self) -> list[Route]:
        return [Route("/v1/models/{owner}/{name}/predictions", self.create, methods=["POST"]),
                Route("/v1/predictions", self.create, methods=["POST"]),
                Route("/v1/predictions/{id}", self.get, methods=["GET"]),
                Route("/v1/predictions/{id}/cancel", self.cancel, methods=["POST"]),
                Route("/v1/account", self.account, methods=["GET"]),
                Route("/delivery/{id}/{file}", self.deliver, methods=["GET"])]

    def is_generation(self, received: Received) -> bool:
        return received.method == "POST" and received.path.endswith("/predictions")

    @property
    def polls(self) -> list[Received]:
        return [r for r in self.requests if r.method == "GET" and r.path.startswith("/v1/predictions/")]

    @property
    def cancels(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/cancel")]

    @staticmethod
    def problem(status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
        default = REPLICATE_ERRORS.get(status, {"title": "Error", "detail": "Request failed.", "status": status})
        return JSONResponse(body or default, status_code=status, headers=headers,
                            media_type="application/problem+json")

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    async def account(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return self.problem(401)
        return JSONResponse({"type": "user", "username": "dreampixel-tests", "name": "Dream Pixel tests",
                             "github_url": None, "avatar_url": None})

    async def create(self, request: Request) -> Response:
        received = await self.record(request)
        if not self.authorized(request):
            return self.problem(401)
        prefer = request.headers.get("prefer")
        if prefer is not None and not PREFER.match(prefer):
            return self.problem(400, {"title": "Invalid Prefer header", "detail": f"Invalid Prefer: {prefer}",
                                      "status": 400})
        body = received.json
        if not isinstance(body, dict) or not received.content_type.startswith("application/json"):
            return self.problem(400, {"title": "Invalid JSON", "detail": "The body must be a JSON object.",
                                      "status": 400})
        if "owner" in request.path_params:
            model, version, allowed = f"{request.path_params['owner']}/{request.path_params['name']}", "hidden", \
                {"input", "webhook", "webhook_events_filter", "stream"}
            if model != FLUX_SCHNELL:
                return self.problem(404)
        else:
            model, version, allowed = FLUX_SCHNELL, str(body.get("version", "")), \
                {"version", "input", "webhook", "webhook_events_filter", "stream"}
            if version.rpartition(":")[2] != FLUX_SCHNELL_VERSION:
                return self.problem(422, {"title": "Invalid version or not permitted", "detail": "The specified "
                                          "version does not exist (or perhaps you don't have permission to use it?)",
                                          "status": 422})
        extra = sorted(set(body) - allowed)
        if extra:
            return self.problem(422, {"title": "Input validation failed", "status": 422,
                                      "detail": f"Additional property {extra[0]} is not allowed"})
        invalid = validate_flux_input(body.get("input"))
        if invalid:
            detail = "".join(f"- {item['field']}: {item['description']}\n" for item in invalid)
            return self.problem(422, {"title": "Input validation failed", "detail": detail, "status": 422,
                                      "invalid_fields": invalid})

        step = self.next_step() or Step("ok", (), {})
        if step.kind == "slow":
            await asyncio.sleep(step.options.get("seconds", 1.0))
        if step.kind == "status":
            return self.problem(step.args[0], step.options.get("body"), step.options.get("headers"))
        if step.kind == "malformed":
            return Response(b"<html>upstream hiccup</html>", status_code=201, media_type="text/html")
        prediction = FakePrediction(secrets.token_hex(13), model, version, body["input"], step,
                                    step.options.get("polls", 0))
        with self._lock:
            self.predictions[prediction.id] = prediction
        if prediction.polls_left == 0 and step.kind != "stuck":
            self.complete(prediction)
        return JSONResponse(self.view(prediction), status_code=201,
                            headers={"location": f"{self.base_url}/predictions/{prediction.id}"})

    async def get(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return self.problem(401)
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return self.problem(404)
        if prediction.status in ("starting", "processing") and prediction.outcome.kind != "stuck":
            prediction.polls_left -= 1
            prediction.status = "processing"
            if prediction.polls_left <= 0:
                self.complete(prediction)
        return JSONResponse(self.view(prediction))

    async def cancel(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):
            return self.problem(401)
        prediction = self.predictions.get(request.path_params["id"])
        if prediction is None:
            return self.problem(404)
        if prediction.status in ("starting", "processing"):
            prediction.status = "canceled"
        return JSONResponse(self.view(prediction))

    async def deliver(self, request: Request) -> Response:
        await self.record(request)
        if not self.authorized(request):  # replicate.delivery wants the token too
            return self.problem(401)
        stored = self.files.get(f"{request.path_params['id']}/{request.path_params['file']}")
        if stored is None:
            return self.problem(404)
        return Response(stored[0], media_type=stored[1])

    def complete(self, prediction: FakePrediction) -> None:
        """Move `prediction` to the outcome its script step asked for."""
        kind, options, given = prediction.outcome.kind, prediction.outcome.options, prediction.input
        failures = {"nsfw": NSFW_ERROR, "e005": E005_ERROR, "failed": options.get("error", "CUDA out of memory")}
        if kind in failures:
            prediction.status, prediction.error = "failed", failures[kind]
            return
        if kind in ("canceled", "aborted"):
            prediction.status = kind
            return
        fmt = given.get("output_format", "webp")
        width, height = REPLICATE_RATIOS[given.get("aspect_ratio", "1:1")]
        if given.get("megapixels", "1") == "0.25":
            width, height = width // 2, height // 2
        count = options.get("keep", given.get("num_outputs", 1)) if kind == "partial" else given.get("num_outputs", 1)
        urls = []
        for index in range(count):
            data = b"not an image at all" if kind == "bad_output" else solid_image(width, height, fmt)
            if kind == "data_uri":
                urls.append(f"data:{MIME_TYPES[fmt]};base64,{base64.b64encode(data).decode()}")
                continue
            name = f"out-{index}.{fmt}"
            self.files[f"{prediction.id}/{name}"] = (data, MIME_TYPES[fmt])
            urls.append(f"{self.origin}/delivery/{prediction.id}/{name}")
        prediction.status = "succeeded"
        prediction.output = urls[0] if kind == "output_string" else urls

    def view(self, prediction: FakePrediction) -> dict[str, Any]:
        url = f"{self.base_url}/predictions/{prediction.id}"
        done = prediction.status in ("succeeded", "failed", "canceled", "aborted")
        return {"id": prediction.id, "model": prediction.model, "version": prediction.version,
                "input": prediction.input, "logs": "", "output": prediction.output, "error": prediction.error,
                "status": prediction.status, "data_removed": False, "source": "api",
                "created_at": "2026-09-01T12:00:00.000000Z", "started_at": None, "completed_at": None,
                "deadline": None, "metrics": {"predict_time": 0.012, "total_time": 0.03} if done else {},
                "urls": {"get": url, "cancel": f"{url}/cancel", "web": f"https://replicate.com/p/{prediction.id}"}}


FLUX_INPUT_ENUMS = {"aspect_ratio": tuple(REPLICATE_RATIOS), "output_format": ("webp", "jpg", "png"),
                    "megapixels": ("1", "0.25")}
FLUX_INPUT_RANGES = {"num_outputs": (1, 4), "num_inference_steps": (1, 4), "output_quality": (0, 100)}


def validate_flux_input(given: Any) -> list[dict[str, str]]:
    """flux-schnell's input schema, as Replicate's `invalid_fields`."""
    if not isinstance(given, dict):
        return [{"type": "type", "field": "input", "description": "Invalid type. Expected: object"}]
    invalid = []

    def bad(name: str, kind: str, description: str) -> None:
        invalid.append({"type": kind, "field": f"input.{name}", "description": description})

    if not isinstance(given.get("prompt"), str) or not given["prompt"]:
        bad("prompt", "required", "prompt is required")
    known = {"prompt", "seed", "go_fast", "disable_safety_checker", *FLUX_INPUT_ENUMS, *FLUX_INPUT_RANGES}
    for name in sorted(set(given) - known):
        bad(name, "additional_property_not_allowed", f"Additional property {name} is not allowed")
    for name, values in FLUX_INPUT_ENUMS.items():
        if name in given and given[name] not in values:
            bad(name, "enum", f"{name} must be one of the following: {', '.join(values)}")
    for name, (low, high) in FLUX_INPUT_RANGES.items():
        value = given.get(name, low)
        if not isinstance(value, int) or isinstance(value, bool):
            bad(name, "invalid_type", "Invalid type. Expected: integer")
        elif not low <= value <= high:
            bad(name, "number_lte" if value > high else "number_gte", f"Must be between {low} and {high}")
    if "seed" in given and (not isinstance(given["seed"], int) or isinstance(given["seed"], bool)):
        bad("seed", "invalid_type", "Invalid type. Expected: integer")
    for name in ("go_fast", "disable_safety_checker"):
        if name in given and not isinstance(given[name], bool):
            bad(name, "invalid_type", "Invalid type. Expected: boolean")
    return invalid


# =================================================================================================
# Gemini API generateContent
# =================================================================================================

GEMINI_MODELS = {"gemini-3.1-flash-image": 14, "gemini-3-pro-image": 14, "gemini-2.5-flash-image": 3}
GEMINI_RETIRED = {"gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview", "imagen-4.0-generate-001"}
GEMINI_RATIOS = {"1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184),
                 "4:3": (1184, 864), "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344),
                 "16:9": (1344, 768), "21:9": (1536, 672)}
GEMINI_SIZES = {"1K": 1, "2K": 2, "4K": 4}
GEMINI_STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                       429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
GENERATION_CONFIG_KEYS = {"responseModalities", "imageConfig", "seed", "candidateCount", "temperature", "topP",
                          "topK", "maxOutputTokens"}


class FakeGemini(FakeProvider):
    """Gemini `models/{model}:generateContent` and `models/{model}`.

    Script kinds: "status" (code, message=..., details=[...], headers=...); "rate_limited"
    (retry_delay="34s", per_day=False); "slow" (seconds=...); "malformed" (200, not JSON);
    "blocked" (reason="SAFETY": promptFeedback only); "finish" (reason="IMAGE_SAFETY": no image);
    "text_only" (STOP with text, no image); "thought" (an interim thought image precedes the answer);
    "images" (count=n image parts); "mime" (mime="image/jpeg"); "bad_base64".
    """

    api_key = GEMINI_KEY
    prefix = "/v1beta"

    def routes(self) -> list[Route]:
        return [Route("/v1beta/models/{target}", self.dispatch, methods=["GET", "POST"])]

    def is_generation(self, received: Received) -> bool:
        return received.method == "POST" and received.path.endswith(":generateContent")

    @staticmethod
    def error(status: int, message: str | None = None, details: list[dict[str, Any]] | None = None,
              headers: dict[str, str] | None = None, status_name: str | None = None) -> JSONResponse:
        body: dict[str, Any] = {"code": status, "message": message or "Request failed.",
                                "status": status_name or GEMINI_STATUS_NAMES.get(status, "UNKNOWN")}
        if details:
            body["details"] = details
        return JSONResponse({"error": body}, status_code=status, headers=headers)

    async def dispatch(self, request: Request) -> Response:
        received = await self.record(request)
        model, _, action = request.path_params["target"].partition(":")
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return self.error(403, "Method doesn't allow unregistered callers (callers without established "
                                   "identity). Please use API Key or other form of API consumer identity to call "
                                   "this API.")
        if key != self.api_key:
            return self.error(400, "API key not valid. Please pass a valid API key.", [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                 "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}])
        if model not in GEMINI_MODELS:
            return self.error(404, f"models/{model} is not found for API version v1beta, or is not supported "
                                   "for generateContent.")
        if request.method == "GET" and not action:
            return JSONResponse({"name": f"models/{model}", "version": "001", "displayName": model,
                                 "supportedGenerationMethods": ["generateContent", "countTokens"]})
        if request.method != "POST" or action != "generateContent":
            return self.error(404, f"Method {action or 'GET'} not found.")
        problems, size, wants_image = validate_generate_content(received, GEMINI_MODELS[model])
        if problems:
            return self.error(400, "Invalid JSON payload received. " + " ".join(problems))
        return await self.answer(model, size, wants_image)

    async def answer(self, model: str, size: tuple[int, int], wants_image: bool) -> Response:
        step = self.next_step() or Step("ok", (), {})
        if step.kind == "slow":
            await asyncio.sleep(step.options.get("seconds", 1.0))
        options = step.options
        if step.kind == "status":
            return self.error(step.args[0], options.get("message"), options.get("details"), options.get("headers"),
                              options.get("status_name"))
        if step.kind == "rate_limited":
            quota = "GenerateRequestsPerDayPerProjectPerModel-FreeTier" if options.get("per_day") else \
                "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            return self.error(429, "You exceeded your current quota, please check your plan and billing details.", [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                    {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                     "quotaId": quota}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": options.get("retry_delay", "34s")},
            ])
        if step.kind == "malformed":
            return Response(b'{"candidates": [{"content": ', media_type="application/json")
        if step.kind == "blocked":
            return JSONResponse({"promptFeedback": {"blockReason": options.get("reason", "SAFETY"), "safetyRatings": [
                {"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM"}]}})
        mime = options.get("mime", "image/png")
        data = solid_image(*size, {"image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp"}[mime])
        encoded = "%%% not base64 %%%" if step.kind == "bad_base64" else base64.b64encode(data).decode()
        parts: list[dict[str, Any]] = [{"text": "Here is your image."}]
        finish = "STOP"
        if step.kind == "finish":
            finish = options.get("reason", "IMAGE_SAFETY")
            parts = []
        elif step.kind != "text_only" and wants_image:
            parts += [{"inlineData": {"mimeType": mime, "data": encoded}}] * options.get("count", 1)
        if step.kind == "thought":
            thought = base64.b64encode(solid_image(64, 64, "png", (0, 0, 0))).decode()
            parts.insert(0, {"inlineData": {"mimeType": "image/png", "data": thought}, "thought": True})
        return JSONResponse({
            "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 1290, "totalTokenCount": 1299},
            "modelVersion": model, "responseId": secrets.token_urlsafe(12)})


def validate_generate_content(received: Received, max_references: int) -> tuple[list[str], tuple[int, int], bool]:
    """Problems with a generateContent body, the image size it asks for, and whether it allows IMAGE output."""
    body, problems = received.json, []
    if not received.content_type.startswith("application/json") or not isinstance(body, dict):
        return ["The body must be a JSON object."], (0, 0), False
    problems += [f'Unknown name "{name}": Cannot find field.' for name in sorted(set(body) - {
        "contents", "generationConfig", "safetySettings", "systemInstruction"})]
    contents = body.get("contents")
    references = 0
    if not isinstance(contents, list) or not contents:
        problems.append("contents is required.")
    for content in contents if isinstance(contents, list) else []:
        parts = content.get("parts") if isinstance(content, dict) else None
        if not isinstance(parts, list) or not parts or content.get("role", "user") not in ("user", "model"):
            problems.append("Each content needs a role of user or model and at least one part.")
            continue
        for part in parts:
            inline = part.get("inlineData") if isinstance(part, dict) else None
            if isinstance(part, dict) and isinstance(part.get("text"), str) and inline is None:
                continue
            if not isinstance(inline, dict) or inline.get("mimeType") not in ("image/png", "image/jpeg", "image/webp"):
                problems.append("Each part needs text or inlineData with an image mimeType.")
                continue
            try:
                data = base64.b64decode(inline.get("data", ""), validate=True)
            except (binascii.Error, ValueError):
                data = b""
            if image_size(data) is None:
                problems.append("inlineData.data is not a base64 image.")
            references += 1
    if references > max_references:
        problems.append(f"At most {max_references} reference images are supported by this model.")
    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        return [*problems, "generationConfig must be an object."], (0, 0), False
    problems += [f'Unknown name "{name}" at \'generation_config\': Cannot find field.'
                 for name in sorted(set(config) - GENERATION_CONFIG_KEYS)]
    modalities = config.get("responseModalities", ["TEXT", "IMAGE"])
    if not isinstance(modalities, list) or not set(modalities) <= {"TEXT", "IMAGE"}:
        problems.append("responseModalities must list TEXT and/or IMAGE.")
        modalities = []
    seed = config.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not -(2**31) <= seed < 2**31:
        problems.append("generation_config.seed: must be an int32.")
    image_config = config.get("imageConfig") or {}
    if not isinstance(image_config, dict):
        return [*problems, "imageConfig must be an object."], (0, 0), False
    problems += [f'Unknown name "{name}" at \'generation_config.image_config\': Cannot find field.'
                 for name in sorted(set(image_config) - {"aspectRatio", "imageSize"})]
    ratio = image_config.get("aspectRatio", "1:1")
    scale = GEMINI_SIZES.get(image_config.get("imageSize", "1K"))
    if ratio not in GEMINI_RATIOS:
        problems.append(f"imageConfig.aspectRatio {ratio!r} is not supported.")
    if scale is None:
        problems.append("imageConfig.imageSize must be 1K, 2K or 4K.")
    if problems:
        return problems, (0, 0), False
    width, height = GEMINI_RATIOS[ratio]
    return [], (width * scale, height * scale), "IMAGE" in modalities


# =================================================================================================
# Fixtures
# =================================================================================================


@pytest.fixture(scope="session")
def _stability_server() -> Iterator[FakeStability]:
    fake = FakeStability()
    with fake.serve():
        yield fake


@pytest.fixture(scope="session")
def _replicate_server() -> Iterator[FakeReplicate]:
    fake = FakeReplicate()
    with fake.serve():
        yield fake


@pytest.fixture(scope="session")
def _gemini_server() -> Iterator[FakeGemini]:
    fake = FakeGemini()
    with fake.serve():
        yield fake


@pytest.fixture
def stability_fake(_stability_server: FakeStability) -> Iterator[FakeStability]:
    """The fake Stability API with an empty script and request log."""
    _stability_server.reset()
    yield _stability_server
    _stability_server.reset()


@pytest.fixture
def replicate_fake(_replicate_server: FakeReplicate) -> Iterator[FakeReplicate]:
    """The fake Replicate API with an empty script, request log and prediction store."""
    _replicate_server.reset()
    yield _replicate_server
    _replicate_server.reset()


@pytest.fixture
def gemini_fake(_gemini_server: FakeGemini) -> Iterator[FakeGemini]:
    """The fake Gemini API with an empty script and request log."""
    _gemini_server.reset()
    yield _gemini_server
    _gemini_server.reset()
