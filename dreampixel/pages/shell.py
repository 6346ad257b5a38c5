"""The page shell: `@page(...)` registers a route with its title and `on_load`, and frames its content.

A page module writes only its content; the decorator puts it in the shared frame (navigation
bar, footer) and records it in `PAGES`, which dreampixel.py adds to the app. The bar's links
are the pages registered with a `nav` label, in `nav_order`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import reflex as rx

from components.account import account_controls_desktop, account_controls_mobile
from components.layout import page_layout
from states.account import AccountState
from states.session import SessionState

Content = Callable[[], rx.Component]


@dataclass(frozen=True)
class Page:
    route: str
    title: str
    render: Content  # the framed page
    description: str | None = None
    on_load: Any = None  # an event handler, or a list of them
    nav: str = ""  # the label in the navigation bar; "" keeps the page out of it
    nav_order: int = 0


PAGES: list[Page] = []


def nav_links() -> list[tuple[str, str]]:
    """(label, route) of every page in the navigation bar, in order."""
    shown = sorted((p for p in PAGES if p.nav), key=lambda p: p.nav_order)
    return [(p.nav, p.route) for p in shown]


def frame(*children: rx.Component) -> rx.Component:
    """The shared frame: the bar's links, the visitor's account corner, the footer."""
    return page_layout(
        *children,
        links=nav_links(),
        account=account_controls_desktop(signed_in=SessionState.signed_in, name=SessionState.user_name,
                                         on_sign_out=AccountState.sign_out, on_mount=SessionState.load,
                                         role=SessionState.role),
        account_items=account_controls_mobile(signed_in=SessionState.signed_in, on_sign_out=AccountState.sign_out,
                                              role=SessionState.role),
    )


def page(*, route: str, title: str, description: str | None = None, on_load: Any = None, nav: str = "",
         nav_order: int = 0) -> Callable[[Content], Content]:
    """Register the decorated content function as the page at `route`, inside the shared frame."""

    def register(content: Content) -> Content:
        @functools.wraps(content)  # Reflex names the compiled page after the function's module
        def framed() -> rx.Component:
            return frame(content())

        PAGES.append(Page(route=route, title=title, render=framed, description=description, on_load=on_load,
                          nav=nav, nav_order=nav_order))
        return framed

    return register

