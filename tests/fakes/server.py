"""What the fake provider servers share: the script, the request log and the uvicorn thread.

Each fake is a small Starlette app served by uvicorn in a background thread on a free loopback
port; tests steer it with `fake.script(kind, *args, **options)` (one step per generation call) and
read back what it received from `fake.requests`, `fake.generations` and `fake.last`.
"""

from __future__ import annotations

import io
import json
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.routing import Route

from tests.fixtures.processes import free_port, wait_until

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


