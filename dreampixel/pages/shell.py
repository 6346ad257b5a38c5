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

NOT_FOUND_TITLE = "Page not found · Dream Pixel"
CONSOLE_PREFIX = "/admin"
# Console routes a moderator may open too; every other console route is for admins only.
MODERATOR_ROUTES = ("/admin/moderation",)


@dataclass(frozen=True)
class Page:
    route: str
    title: str | rx.Var[str]
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


def is_console(route: str) -> bool:
    """Whether `route` is a page of the admin console."""
    return route == CONSOLE_PREFIX or route.startswith(CONSOLE_PREFIX + "/")


def console_roles(route: str) -> list[str]:
    """The roles that may open the console page at `route`."""
    moderated = any(route == r or route.startswith(r + "/") for r in MODERATOR_ROUTES)
    return ["ADMIN", "MODERATOR"] if moderated else ["ADMIN"]


def console_title(route: str, title: str) -> rx.Var[str]:
    """A console page's tab title: its own for staff who may open it, the not-found page's for anyone
    else (the page shows the not-found content too), a neutral one while the visitor is looked up."""
    permitted = rx.Var.create(console_roles(route)).contains(SessionState.role)
    return rx.cond(permitted, title, rx.cond(SessionState.role != "", NOT_FOUND_TITLE, "Dream Pixel"))


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

        shown = console_title(route, title) if is_console(route) else title
        PAGES.append(Page(route=route, title=shown, render=framed, description=description, on_load=on_load,
                          nav=nav, nav_order=nav_order))
        return framed

    return register

