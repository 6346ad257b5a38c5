"""A webhook receiver on loopback that verifies every request with the `standardwebhooks` library.

Tests steer it with `receiver.answer(status, ..., then=200)` (one status per request, then a
default), `receiver.hang_next(seconds)` and `receiver.redirect_to(url)`, and read back
`receiver.received`: each request's headers, JSON body and whether its signature verified.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Delivered:
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    secret: str | None = None
    default_status: int = 200
    statuses: deque[int] = field(default_factory=deque)
    hangs: deque[float] = field(default_factory=deque)
    redirect: str | None = None
    received: list[Delivered] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answer(self, *statuses: int, then: int = 200) -> None:
        self.statuses.extend(statuses)
        self.default_status = then

    def hang_next(self, seconds: float) -> None:
        self.hangs.append(seconds)

    def redirect_to(self, url: str) -> None:
        self.redirect = url

    def wait_for(self, count: int, *, timeout: float = 10) -> list[Delivered]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived within {timeout} s")
                self._changed.wait(left)
            return list(self.received)

    async def until(self, count: int, *, timeout: float = 10) -> list[Delivered]:
        """`wait_for` without blocking the event loop the app's jobs run on."""
        return await asyncio.to_thread(self.wait_for, count, timeout=timeout)

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        if self.secret is None:
            return False
        try:
            Webhook(self.secret).verify(body, headers)
            return True
        except WebhookVerificationError:
            return False

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._changed:
            self.received.append(Delivered(headers=headers, body=json.loads(raw or b"{}"),
                                           verified=self.verify(headers, raw)))
            self._changed.notify_all()
            hang = self.hangs.popleft() if self.hangs else 0.0
            status = self.statuses.popleft() if self.statuses else self.default_status
        if hang:
            time.sleep(hang)
        if self.redirect:
            handler.send_response(307)
            handler.send_header("Location", self.redirect)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        answer = json.dumps({"ok": 200 <= status < 300, "status": status}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)


def start_receiver() -> Receiver:
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            holder["receiver"].handle(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = holder["receiver"] = Receiver(server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@pytest.fixture
def webhook_receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port; set `.secret` to have it verify signatures."""
    receiver = start_receiver()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
