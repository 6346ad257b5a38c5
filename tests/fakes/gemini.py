"""A fake Gemini API: `models/{model}:generateContent` with image output, and `models/{model}`."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Received, Step, image_size, solid_image

GEMINI_KEY = "AIzaFakeGemini-7c41d2e9b8"
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
    if problems or scale is None:
        return problems, (0, 0), False
    width, height = GEMINI_RATIOS[ratio]
    return [], (width * scale, height * scale), "IMAGE" in modalities
