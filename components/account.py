"""Pieces of the account page and the signed-in navigation menu. Pure UI: vars and handlers come in."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx
from reflex.event import EventSpec
from reflex.vars import ArrayVar
from reflex_components_core.react_router.dom import ReactRouterLink

from components import theme
from components.auth_forms import DANGER_TEXT, field, form_alert
from components.buttons import link_button


def section(title: str, description: str, *children: rx.Component, danger: bool = False,
            section_id: str = "", **props) -> rx.Component:
    """One titled card of the account page (an <section> with its heading as accessible name);
    `props` (an `on_mount`, say) go to the <section>."""
    heading_id = f"{section_id or title.lower().replace(' ', '-')}-heading"
    return rx.el.section(
        rx.vstack(
            rx.heading(title, as_="h2", size="5", id=heading_id, color=DANGER_TEXT if danger else theme.TEXT),
            rx.text(description, size="2", color=theme.TEXT_MUTED),
            spacing="1",
            width="100%",
            padding_bottom="0.5rem",
        ),
        *children,
        aria_labelledby=heading_id,
        id=section_id or None,
        width="100%",
        padding=rx.breakpoints(initial="1.25rem", sm="1.75rem"),
        border=f"1px solid {rx.color('red', 6) if danger else theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        **props,
    )


def subheading(text: str) -> rx.Component:
    return rx.heading(text, as_="h3", size="3", color=theme.TEXT, padding_top="1rem")


def notice_text(message: rx.Var[str]) -> rx.Component:
    return rx.cond(message != "", rx.text(message, size="2", color=theme.BRAND_TEXT, role="status"))


def _row(*children: rx.Component, **props) -> rx.Component:
    return rx.flex(
        *children,
        direction={"initial": "column", "sm": "row"},
        justify="between",
        align={"initial": "start", "sm": "center"},
        gap="0.75rem",
        width="100%",
        padding_y="0.875rem",
        border_top=f"1px solid {theme.BORDER}",
        **props,
    )


def sessions_list(sessions: ArrayVar[Sequence[dict[str, str]]],
                  on_revoke: Callable[[rx.Var[str]], EventSpec]) -> rx.Component:
    """Signed-in browsers with device and last use; the current one is marked and revocable too."""
    return rx.el.ul(
        rx.foreach(
            sessions,
            lambda s: rx.el.li(
                _row(
                    rx.hstack(
                        rx.icon("monitor-smartphone", size=18, color=theme.TEXT_MUTED, flex_shrink="0"),
                        rx.vstack(
                            rx.hstack(
                                rx.text(s["device"], weight="medium", size="2", color=theme.TEXT),
                                rx.cond(s["current"] == "True", rx.badge("This browser", variant="soft", radius="full")),
                                spacing="2",
                                align="center",
                                wrap="wrap",
                            ),
                            rx.text("Last used ", s["last_used"], rx.cond(s["ip"] != "", " · " + s["ip"], ""),
                                    size="1", color=theme.TEXT_MUTED),
                            spacing="1",
                        ),
                        spacing="3",
                        align="center",
                    ),
                    rx.button(
                        rx.cond(s["current"] == "True", "Sign out", "Revoke"),
                        on_click=on_revoke(s["id"]),
                        variant="soft",
                        color_scheme="gray",
                        size="2",
                        aria_label=rx.cond(s["current"] == "True", "Sign out this browser", "Revoke " + s["device"]),
                    ),
                ),
                list_style="none",
            ),
        ),
        aria_label="Signed-in sessions",
        style={"padding": "0", "margin": "0", "width": "100%"},
    )


def keys_list(keys: ArrayVar[Sequence[dict[str, str]]],
              on_revoke: Callable[[rx.Var[str]], EventSpec]) -> rx.Component:
    return rx.cond(
        keys.length() > 0,
        rx.el.ul(
            rx.foreach(
                keys,
                lambda k: rx.el.li(
                    _row(
                        rx.vstack(
                            rx.hstack(
                                rx.text(k["name"], weight="medium", size="2", color=theme.TEXT),
                                rx.code(k["prefix"] + "…", size="1"),
                                spacing="2",
                                align="center",
                                wrap="wrap",
                            ),
                            rx.text(k["scopes"], size="1", color=theme.TEXT_MUTED),
                            rx.text("Created ", k["created"], " · last used ", k["last_used"], " · expires ",
                                    k["expires"], size="1", color=theme.TEXT_MUTED),
                            spacing="1",
                            min_width="0",
                        ),
                        rx.button("Revoke", on_click=on_revoke(k["id"]), variant="soft", color_scheme="red", size="2",
                                  aria_label="Revoke key " + k["name"]),
                    ),
                    list_style="none",
                ),
            ),
            aria_label="API keys",
            style={"padding": "0", "margin": "0", "width": "100%"},
        ),
        rx.text("No API keys yet.", size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"),
    )


def connected_list(connected: ArrayVar[Sequence[dict[str, str]]],
                   on_unlink: Callable[[rx.Var[str]], EventSpec]) -> rx.Component:
    """Google and GitHub accounts that sign in to this one, each with Unlink."""
    return rx.cond(
        connected.length() > 0,
        rx.el.ul(
            rx.foreach(
                connected,
                lambda c: rx.el.li(
                    _row(
                        rx.text(c["label"], size="2", color=theme.TEXT),
                        rx.button("Unlink", on_click=on_unlink(c["id"]), variant="soft", color_scheme="gray",
                                  size="2", aria_label="Unlink " + c["label"]),
                    ),
                    list_style="none",
                ),
            ),
            aria_label="Connected accounts",
            style={"padding": "0", "margin": "0", "width": "100%"},
        ),
        rx.text("No Google or GitHub account is connected.", size="2", color=theme.TEXT_MUTED, padding_y="0.5rem"),
    )


def connect_buttons(providers: ArrayVar[Sequence[dict[str, str]]],
                    on_connect: Callable[[rx.Var[str]], EventSpec]) -> rx.Component:
    """"Connect Google" / "Connect GitHub" for the configured providers not connected yet."""
    return rx.hstack(
        rx.foreach(
            providers,
            lambda p: rx.button("Connect " + p["label"], on_click=on_connect(p["name"]), variant="outline",
                                color_scheme="gray", size="2"),
        ),
        spacing="2",
        wrap="wrap",
        padding_top="0.5rem",
    )


def reauth_dialog(*, open_: rx.Var[bool], on_close: rx.EventHandler, on_submit: rx.EventHandler,
                  has_password: rx.Var[bool], error: rx.Var[str], loading: rx.Var[bool],
                  providers: ArrayVar[Sequence[dict[str, str]]], next_path: str = "/account") -> rx.Component:
    """"Confirm it's you": the password again, or a fresh sign-in with a connected provider (which
    comes back to `next_path`)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Confirm it's you"),
            rx.dialog.description(
                "You signed in a while ago. Before this change, prove it is still you.",
                size="2", color=theme.TEXT_MUTED,
            ),
            rx.cond(
                has_password,
                rx.form(
                    rx.vstack(
                        field(label="Your password", field_id="reauth_password", type="password",
                              auto_complete="current-password", error=error),
                        rx.button("Confirm", type="submit", loading=loading, size="2", align_self="start"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=on_submit,
                    reset_on_submit=True,
                    aria_label="Confirm with your password",
                    width="100%",
                    padding_top="1rem",
                ),
                form_alert(error),
            ),
            rx.vstack(
                rx.foreach(
                    providers,
                    lambda p: rx.button(
                        rx.el.a("Sign in again with " + p["label"],
                                href="/api/auth/oauth/" + p["name"] + f"/start?intent=reauth&next={next_path}",
                                reload_document=True),
                        as_child=True, variant="outline", color_scheme="gray", size="2", width="100%",
                    ),
                ),
                spacing="2",
                width="100%",
                padding_top="1rem",
            ),
            rx.flex(rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", size="2")),
                    justify="end", width="100%", padding_top="1rem"),
        ),
        open=open_,
        on_open_change=on_close,
    )


def new_key_dialog(*, key: rx.Var[str], open_: rx.Var[bool], on_close: rx.EventHandler) -> rx.Component:
    """The plaintext of a new key, shown once, with a copy button."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Your new API key"),
            rx.dialog.description(
                "Copy it now: this is the only time it is shown. Store it like a password.",
                size="2", color=theme.TEXT_MUTED,
            ),
            rx.hstack(
                rx.code(key, size="2", word_break="break-all", padding="0.5rem", flex="1"),
                rx.icon_button(rx.icon("copy", size=16), on_click=rx.set_clipboard(key), aria_label="Copy key",
                               variant="soft", size="2"),
                align="center",
                spacing="2",
                width="100%",
                padding_y="1rem",
            ),
            rx.flex(
                rx.dialog.close(rx.button("I have copied it", size="2")),
                justify="end",
                width="100%",
            ),
        ),
        open=open_,
        on_open_change=on_close,
    )


def _staff_item(role: rx.Var[str] | None) -> rx.Component:
    """"Admin" for admins, "Moderation" for moderators, nothing for anyone else."""
    if role is None:
        return rx.fragment()
    return rx.match(
        role,
        ("ADMIN", rx.menu.item(ReactRouterLink.create("Admin", to="/admin"), as_child=True)),
        ("MODERATOR", rx.menu.item(ReactRouterLink.create("Moderation", to="/admin/moderation"), as_child=True)),
        rx.fragment(),
    )


def account_controls_desktop(*, signed_in: rx.Var[bool], name: rx.Var[str], on_sign_out: rx.EventHandler,
                             on_mount: rx.EventHandler, role: rx.Var[str] | None = None) -> rx.Component:
    """The navigation bar's "Sign in" and "Sign up" links, or the signed-in user's name opening a menu."""
    return rx.box(
        rx.cond(
            signed_in,
            rx.box(rx.menu.root(
                rx.menu.trigger(
                    rx.button(
                        rx.icon("circle-user", size=16),
                        rx.text(name, as_="span", max_width="10rem", overflow="hidden", text_overflow="ellipsis",
                                white_space="nowrap"),
                        rx.icon("chevron-down", size=14),
                        variant="soft",
                        size="2",
                        aria_label=name,
                    ),
                ),
                rx.menu.content(
                    rx.menu.item(ReactRouterLink.create("Account", to="/account"), as_child=True),
                    rx.menu.item(ReactRouterLink.create("Plan and billing", to="/billing"), as_child=True),
                    _staff_item(role),
                    rx.menu.separator(),
                    rx.menu.item("Sign out", on_select=on_sign_out),
                    align="end",
                    min_width="10rem",
                ),
            ), style={theme.NAV_COLLAPSE: {"display": "none"}}),
            # Phones keep "Sign up" in the bar (a newcomer looks there first); "Sign in" is in the menu.
            rx.hstack(
                link_button("Sign in", href="/login", size="2", variant="soft",
                            style={theme.NAV_COLLAPSE: {"display": "none"}}),
                link_button("Sign up", href="/signup", size="2"),
                spacing="2",
            ),
        ),
        on_mount=on_mount,
    )


def account_controls_mobile(*, signed_in: rx.Var[bool], on_sign_out: rx.EventHandler,
                            role: rx.Var[str] | None = None) -> list[rx.Component]:
    """The last items of the phone menu: Sign in and Sign up, or Account, Plan and billing, and Sign out."""
    return [
        rx.cond(
            signed_in,
            rx.fragment(
                rx.menu.item(ReactRouterLink.create("Account", to="/account"), as_child=True),
                rx.menu.item(ReactRouterLink.create("Plan and billing", to="/billing"), as_child=True),
                _staff_item(role),
                rx.menu.item("Sign out", on_select=on_sign_out),
            ),
            rx.fragment(
                rx.menu.item(ReactRouterLink.create("Sign in", to="/login"), as_child=True),
                rx.menu.item(ReactRouterLink.create("Sign up", to="/signup"), as_child=True),
            ),
        )
    ]
