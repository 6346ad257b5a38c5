"""What the topology tests share: signing in through nginx, and which backend holds a websocket."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psutil
from playwright.sync_api import Browser, Locator, Page, expect

from tests.fixtures.browser import SCREENSHOTS
from tests.topology.conftest import PASSWORD, Stack

LIVE_TIMEOUT = 40_000  # generous: the machine may be loaded


@contextmanager
def signed_in_page(browser: Browser, stack: Stack) -> Iterator[Page]:
    """A fresh Chromium context signed in through nginx, left on /generate."""
    context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(40_000)  # a loaded machine
    try:
        page = context.new_page()
        page.on("console", lambda message: print(f"console {message.type}: {message.text[:300]}"))
        page.on("websocket", lambda socket: print(f"websocket {socket.url[:80]}"))
        page.goto("/generate")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fgenerate$"), timeout=LIVE_TIMEOUT)
        page.get_by_label("Email").fill(stack.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        try:
            expect(page.get_by_role("heading", name="Generate", level=1)).to_be_visible(timeout=LIVE_TIMEOUT)
        except AssertionError:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "topology-sign-in.png"))
            raise
        expect(page.get_by_label("Prompt", exact=True)).to_be_visible(timeout=LIVE_TIMEOUT)
        yield page
    finally:
        context.close()


def card(page: Page, prompt: str) -> Locator:
    return page.get_by_role("region", name="Your generations").locator("article[data-status]").filter(has_text=prompt)


def _nginx_pids(stack: Stack) -> set[int]:
    master = psutil.Process(stack.topology.procs["nginx"].pid)
    return {master.pid, *(child.pid for child in master.children(recursive=True))}


def websocket_backend(stack: Stack, *, timeout: float = 15) -> int:
    """The index of the backend holding the page's websocket, as nginx's open connections show.

    nginx keeps no idle connections to the backends (no `keepalive` in the upstream), so once
    the page has loaded, the one connection that stays open is the websocket's.
    """
    pids = _nginx_pids(stack)
    ports = stack.topology.ports.backends
    deadline = time.monotonic() + timeout
    seen: list[Any] = []
    while time.monotonic() < deadline:
        seen = [c for c in psutil.net_connections(kind="tcp")
                if c.pid in pids and c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port in ports]
        if len(seen) == 1:
            return ports.index(seen[0].raddr.port)
        time.sleep(0.2)
    raise AssertionError(f"expected one open connection from nginx to a backend, found {len(seen)}")
