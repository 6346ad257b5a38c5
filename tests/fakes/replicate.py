"""A fake Replicate HTTP API v1: predictions with Prefer: wait, polling, cancel and file delivery."""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import MIME_TYPES, FakeProvider, Received, Step, solid_image

REPLICATE_TOKEN = "r8_fake_replicate_93b1c0ffee"
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
    poll_errors: list[int] = field(default_factory=list)


class FakeReplicate(FakeProvider):
    """Replicate predictions (official-model and version routes), polling, cancel, /account, file delivery.

    Script kinds, all taking `polls=N` (answer `starting`, reach the outcome on the Nth GET; default 0:
    terminal in the create answer, as if `Prefer: wait` sufficed) and `poll_errors=[503, ...]` (the
    first GETs answer those statuses instead): "status" (code, body=..., headers=...);
    "slow" (seconds=...: the create answer is held that long); "stuck" (never finishes); "nsfw"; "e005";
    "failed" (error=...); "partial" (keep=k); "canceled"; "aborted"; "output_string"; "data_uri";
    "bad_output" (the file is not an image); "malformed" (the create answer is not JSON). Any kind
    that delivers files takes `output_origin=...` to point its output URLs at another host.
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
                                    step.options.get("polls", 0), poll_errors=list(step.options.get("poll_errors", [])))
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
        if prediction.poll_errors:
            return self.problem(prediction.poll_errors.pop(0))
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
            urls.append(f"{options.get('output_origin', self.origin)}/delivery/{prediction.id}/{name}")
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
