"""What a browser says over the Reflex event websocket, spoken from Python (for bench/bench_load.py).

The frontend (Reflex's `state.js`) opens a socket.io connection at `/_event` (path and
namespace) with `?token=<tab token>` and the page's first event in the CONNECT packet's auth
(`{"event": hydrate_and_load}`); the backend answers with state deltas on the `event`
message: `{"delta": {state full name: {var: value}}, "events": [...], "final": bool}`. Every
later event is `emit("event", {"name": "<state full name>.<handler>", "payload": {arg: value},
"router_data": {"pathname", "asPath", "query"}})`. The session cookie travels in the
websocket's request headers, where `states/session.py` reads it on every guarded handler.

Handler names are derived from the state classes (`get_full_name()` and Reflex's own
formatting of an event handler), so a renamed state or handler shows up here as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Names:
    """The full event and state names the generate page uses."""

    hydrate_and_load: str
    session_load: str
    generate_state: str
    set_size: str
    set_width: str
    set_height: str
    set_provider: str
    submit: str


def names() -> Names:
    import reflex as rx
    from reflex_base.constants.compiler import CompileVars
    from reflex_base.utils.format import format_event_handler

    from states.generate import GenerateState
    from states.session import SessionState

    def handler(state: Any, name: str) -> str:
        return format_event_handler(state.event_handlers[name])

    return Names(
        hydrate_and_load=f"{rx.State.get_full_name()}.{CompileVars.HYDRATE_AND_LOAD}",
        session_load=handler(SessionState, "load"),
        generate_state=GenerateState.get_full_name(),
        set_size=handler(GenerateState, "set_size"),
        set_width=handler(GenerateState, "set_width"),
        set_height=handler(GenerateState, "set_height"),
        set_provider=handler(GenerateState, "set_provider"),
        submit=handler(GenerateState, "submit"),
    )


def strip_suffix(var: str) -> str:
    """Reflex sends a field `cards` as `cards_rx_state_`; computed vars keep their name."""
    return var.removesuffix("_rx_state_")


@dataclass
class Page:
    """What the simulated browser holds of one state: the last value pushed of each var."""

    values: dict[str, Any] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    redirects: list[str] = field(default_factory=list)
    # Reflex's answer to an exception in a handler: the "An error occurred." toast (id backend_error).
    backend_errors: int = 0
    messages: int = 0


class BrowserTab:
    """One browser tab on one page: a socket.io client speaking Reflex's event protocol."""

    def __init__(self, url: str, *, cookie: str, names: Names, path: str, origin: str | None) -> None:
        import socketio

        self.url = url.rstrip("/")
        self.cookie = cookie
        self.names = names
        self.path = path
        self.origin = origin
        self.token = str(uuid.uuid4())
        self.page = Page()
        self.client = socketio.AsyncClient(reconnection=False, request_timeout=60)
        self.client.on("event", self._on_update, namespace="/_event")

    def _router_data(self) -> dict[str, Any]:
        return {"pathname": self.path, "asPath": self.path}

    async def _on_update(self, update: dict[str, Any]) -> None:
        self.page.messages += 1
        for state_name, changes in (update.get("delta") or {}).items():
            if state_name == self.names.generate_state:
                for var, value in changes.items():
                    self.page.values[strip_suffix(var)] = value
        for event in update.get("events") or []:
            if "backend_error" in json.dumps(event, default=str):
                self.page.backend_errors += 1
            if str(event.get("name", "")).endswith("_redirect"):
                self.page.redirects.append(str((event.get("payload") or {}).get("path", "")))
        self.page.changed.set()

    async def open(self) -> None:
        """Connect as a page load does: the hydrate rides in the CONNECT packet, then the navbar's load."""
        split = urlsplit(self.url)
        headers = {"Cookie": self.cookie}
        if self.origin:
            headers["Origin"] = self.origin
        boot = {"name": self.names.hydrate_and_load, "payload": {}, "router_data": self._router_data()}
        await self.client.connect(
            f"{self.url}?token={self.token}",
            headers=headers,
            auth={"event": boot},
            transports=["websocket"],
            namespaces=["/_event"],
            socketio_path=(split.path.rstrip("/") + "/_event"),
            wait_timeout=30,
        )
        await self.send(self.names.session_load, {})

    async def send(self, name: str, payload: dict[str, Any]) -> None:
        await self.client.emit("event", {"name": name, "payload": payload, "router_data": self._router_data()},
                               namespace="/_event")

    async def wait_for(self, check: Any, *, timeout: float) -> Any:
        """Wait until `check(values)` returns something truthy after a push; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            found = check(self.page.values)
            if found:
                return found
            if self.page.redirects:
                raise RuntimeError(f"sent to {self.page.redirects[-1]!r} (signed out?)")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.page.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.page.changed.wait(), left)

    async def close(self) -> None:
        await self.client.disconnect()
