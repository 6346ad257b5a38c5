"""The page frame every route shares: navigation bar, content column and footer."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink  # type: ignore[import-untyped]

from components import theme
from components.buttons import link_button

NAV_LINKS: list[tuple[str, str]] = [
    ("Generate", "/generate"),
    ("Gallery", "/gallery"),
    ("Seeds", "/seeds"),
    ("Pricing", "/pricing"),
]


# The account corner of the bar. Components may not import states, so the pages layer plugs in
# the signed-in controls (name + menu) once at start-up; until then it is a plain "Sign in".
_account_controls: dict[str, Callable[[], rx.Component | list[rx.Component]]] = {}


def use_account_controls(*, desktop: Callable[[], rx.Component], mobile: Callable[[], list[rx.Component]]) -> None:
    """Render `desktop` in the bar and `mobile`'s items at the end of the phone menu."""
    _account_controls.update(desktop=desktop, mobile=mobile)


def _desktop_account() -> rx.Component:
    render = _account_controls.get("desktop")
    if render is not None:
        return render()  # type: ignore[return-value]
    return link_button("Sign in", href="/login", size="2", style={theme.NAV_COLLAPSE: {"display": "none"}})


def _mobile_account() -> list[rx.Component]:
    render = _account_controls.get("mobile")
    if render is not None:
        return render()  # type: ignore[return-value]
    return [_menu_link("Sign in", "/login")]


def logo() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.center(
                rx.icon("sparkles", size=18, color="white"),
                width="32px",
                height="32px",
                border_radius="10px",
                background=theme.BRAND_GRADIENT,
                box_shadow="0 4px 14px -4px rgba(110, 86, 207, 0.6)",
            ),
            rx.text("Dream Pixel", weight="bold", size="4", color=theme.TEXT, letter_spacing="-0.01em"),
            spacing="2",
            align="center",
        ),
        href="/",
        underline="none",
        aria_label="Dream Pixel home",
    )


def color_mode_toggle() -> rx.Component:
    return rx.color_mode.button(
        aria_label="Toggle dark mode",
        title="Toggle dark mode",
        variant="ghost",
        size="2",
        color=theme.TEXT_MUTED,
        background="transparent",
    )


def _nav_link(label: str, href: str) -> rx.Component:
    return rx.link(
        label,
        href=href,
        size="2",
        weight="medium",
        color=theme.TEXT_MUTED,
        underline="none",
        padding_x="0.75rem",
        padding_y="0.375rem",
        border_radius="var(--radius-3)",
        _hover={"color": theme.TEXT, "background": rx.color(theme.GRAY, 3)},
    )


def _menu_link(label: str, href: str) -> rx.Component:
    # as_child: the menu item *is* the link, so the whole row navigates.
    return rx.menu.item(ReactRouterLink.create(label, to=href), as_child=True)


def _mobile_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("menu", size=20), variant="soft", color_scheme="gray", aria_label="Open menu"),
        ),
        rx.menu.content(
            *[_menu_link(label, href) for label, href in NAV_LINKS],
            rx.menu.separator(),
            *_mobile_account(),
            align="end",
            min_width="12rem",
        ),
    )


def navbar() -> rx.Component:
    return rx.el.header(
        rx.el.nav(
            rx.hstack(
                logo(),
                rx.hstack(
                    *[_nav_link(label, href) for label, href in NAV_LINKS],
                    spacing="1",
                    align="center",
                    style={theme.NAV_COLLAPSE: {"display": "none"}},
                ),
                rx.hstack(
                    color_mode_toggle(),
                    _desktop_account(),
                    rx.box(_mobile_menu(), style={theme.NAV_EXPAND: {"display": "none"}}),
                    spacing="3",
                    align="center",
                ),
                justify="between",
                align="center",
                width="100%",
                height="64px",
            ),
            aria_label="Main",
            width="100%",
            max_width=theme.CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x=theme.PAGE_PADDING_X,
        ),
        position="sticky",
        top="0",
        z_index="50",
        width="100%",
        border_bottom=f"1px solid {theme.BORDER}",
        background=rx.color_mode_cond("rgba(255, 255, 255, 0.82)", "rgba(18, 16, 24, 0.82)"),
        backdrop_filter="saturate(180%) blur(12px)",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.flex(
            rx.vstack(
                logo(),
                rx.text(
                    "Images from words, with live progress and providers that fail over.",
                    size="2",
                    color=theme.TEXT_MUTED,
                    max_width="22rem",
                ),
                spacing="3",
            ),
            rx.hstack(
                _footer_column(
                    "Product", [("Generate", "/generate"), ("Gallery", "/gallery"), ("Pricing", "/pricing")]
                ),
                _footer_column("Community", [("Seeds", "/seeds")]),
                _footer_column("Developers", [("API reference", "/api/docs"), ("Status", "/api/health")]),
                spacing={"initial": "6", "sm": "8"},
                align="start",
            ),
            direction={"initial": "column", "sm": "row"},
            justify="between",
            gap="2rem",
            width="100%",
            max_width=theme.CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x=theme.PAGE_PADDING_X,
            padding_y="2.5rem",
        ),
        rx.box(
            rx.text("© Dream Pixel", size="1", color=theme.TEXT_MUTED),
            max_width=theme.CONTENT_MAX_WIDTH,
            margin_x="auto",
            padding_x=theme.PAGE_PADDING_X,
            padding_bottom="2rem",
        ),
        width="100%",
        border_top=f"1px solid {theme.BORDER}",
        background=theme.SURFACE,
    )


def _footer_column(title: str, links: list[tuple[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(title, size="2", weight="bold", color=theme.TEXT),
        *[
            rx.link(label, href=href, size="2", color=theme.TEXT_MUTED, underline="hover", white_space="nowrap")
            for label, href in links
        ],
        spacing="2",
    )


def page_layout(*children: rx.Component) -> rx.Component:
    """The frame around a page's content: sticky navbar on top, footer at the bottom."""
    return rx.box(
        rx.el.a("Skip to content", href="#main", class_name="dp-skip-link"),
        navbar(),
        rx.el.main(*children, id="main", flex="1", width="100%"),
        footer(),
        display="flex",
        flex_direction="column",
        min_height="100vh",
        background=theme.PAGE_BACKGROUND,
    )


def content(*children: rx.Component, **props) -> rx.Component:
    """A centred column at the content width."""
    return rx.box(
        *children,
        width="100%",
        max_width=theme.CONTENT_MAX_WIDTH,
        margin_x="auto",
        padding_x=theme.PAGE_PADDING_X,
        **props,
    )
