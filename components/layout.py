"""The page frame every route shares: navigation bar, content column and footer.

The pages layer (dreampixel/pages/shell.py) passes in what varies: the navigation links and
the account corner of the bar, which needs the session's state.
"""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink

from components import theme

NavLinks = Sequence[tuple[str, str]]  # (label, href) in the order shown


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


def _mobile_menu(links: NavLinks, account_items: Sequence[rx.Component]) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("menu", size=20), variant="soft", color_scheme="gray", aria_label="Open menu"),
        ),
        rx.menu.content(
            *[_menu_link(label, href) for label, href in links],
            rx.menu.separator(),
            *account_items,
            align="end",
            min_width="12rem",
        ),
    )


def navbar(*, links: NavLinks, account: rx.Component, account_items: Sequence[rx.Component]) -> rx.Component:
    """`account` sits at the right of the bar on wide screens; `account_items` end the phone menu."""
    return rx.el.header(
        rx.el.nav(
            rx.hstack(
                logo(),
                rx.hstack(
                    *[_nav_link(label, href) for label, href in links],
                    spacing="1",
                    align="center",
                    style={theme.NAV_COLLAPSE: {"display": "none"}},
                ),
                rx.hstack(
                    color_mode_toggle(),
                    account,
                    rx.box(_mobile_menu(links, account_items), style={theme.NAV_EXPAND: {"display": "none"}}),
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


def page_layout(*children: rx.Component, links: NavLinks, account: rx.Component,
                account_items: Sequence[rx.Component]) -> rx.Component:
    """The frame around a page's content: sticky navbar on top, footer at the bottom."""
    return rx.box(
        rx.el.a("Skip to content", href="#main", class_name="dp-skip-link"),
        navbar(links=links, account=account, account_items=account_items),
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
