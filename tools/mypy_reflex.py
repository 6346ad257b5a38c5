"""A mypy plugin: a state's `@rx.event` method is an `rx.EventHandler`, as it is at runtime.

Reflex types `rx.event` for pyright: its `__new__` returns a callback type that is not an
`EventNamespace`, which mypy ignores, so every handler would read as an `EventNamespace` that
no component parameter accepts. Read on the state class, an EventHandler is what Reflex's own
`EventHandler.__get__` says: Any.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import TypeInfo
from mypy.plugin import FunctionContext, Plugin
from mypy.types import Instance, Type

EVENT_DECORATOR = "reflex_base.event.EventNamespace"
EVENT_HANDLER_MODULE, EVENT_HANDLER = "reflex_base.event", "EventHandler"


def _event_handler(ctx: FunctionContext) -> Type:
    # `rx.event(background=True)` builds a decorator: only the call on the function itself changes.
    if not ctx.args or not ctx.args[0]:
        return ctx.default_return_type
    # The checker holds every loaded module; EventHandler is defined beside EventNamespace.
    node = ctx.api.modules[EVENT_HANDLER_MODULE].names[EVENT_HANDLER].node
    return Instance(node, []) if isinstance(node, TypeInfo) else ctx.default_return_type


class ReflexEventsPlugin(Plugin):
    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return _event_handler if fullname == EVENT_DECORATOR else None


def plugin(version: str) -> type[Plugin]:
    return ReflexEventsPlugin
