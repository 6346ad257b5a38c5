"""The /developers page's pieces: copyable samples in tabs, and small reference tables."""

from __future__ import annotations

from collections.abc import Sequence

import reflex as rx
from reflex.vars import ArrayVar

from components import theme
from components.auth_forms import field, form_alert


def code_sample(code: str | rx.Var[str], *, label: str) -> rx.Component:
    """A scrollable block of code with a copy button."""
    return rx.box(
        rx.icon_button(rx.icon("copy", size=14), on_click=rx.set_clipboard(code), aria_label=f"Copy {label}",
                       variant="soft", size="1", position="absolute", top="0.5rem", right="0.5rem"),
        rx.el.pre(rx.el.code(code), style={"margin": "0", "white_space": "pre", "overflow_x": "auto",
                                            "font_family": theme.FONT_MONO, "font_size": "0.8rem",
                                            "line_height": "1.5", "padding": "0.9rem 2.75rem 0.9rem 0.9rem"}),
        position="relative",
        width="100%",
        border=f"1px solid {theme.BORDER}",
        border_radius="var(--radius-3)",
        background=theme.PAGE_BACKGROUND,
        color=theme.TEXT,
    )


def sample_tabs(samples: Sequence[tuple[str, str]], *, topic: str) -> rx.Component:
    """One tab per language: (language, code)."""
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(language, value=language) for language, _ in samples]),
        *[rx.tabs.content(code_sample(code, label=f"{topic} in {language}"), value=language, padding_top="0.75rem")
          for language, code in samples],
        default_value=samples[0][0],
        width="100%",
    )


def reference_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, label: str) -> rx.Component:
    """A plain table; the first column is shown as code."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(*[
                rx.table.row(rx.table.cell(rx.code(row[0], size="2")), *[rx.table.cell(cell) for cell in row[1:]])
                for row in rows
            ]),
            size="1",
            aria_label=label,
            width="100%",
            min_width="32rem",  # scrolls sideways on a phone rather than crushing the last column
        ),
        width="100%",
        overflow_x="auto",
    )


def developer_section(title: str, description: str, *children: rx.Component, section_id: str) -> rx.Component:
    """One titled card of the page."""
    return rx.el.section(
        rx.vstack(
            rx.heading(title, as_="h2", size="5", id=f"{section_id}-heading", color=theme.TEXT),
            rx.text(description, size="2", color=theme.TEXT_MUTED),
            *children,
            spacing="3",
            width="100%",
        ),
        aria_labelledby=f"{section_id}-heading",
        id=section_id,
        width="100%",
        min_width="0",
        padding=rx.breakpoints(initial="1.25rem", sm="1.75rem"),
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
    )


def _scope_checkbox(scope: rx.vars.StringVar, defaults: ArrayVar[Sequence[str]]) -> rx.Component:
    return rx.checkbox(scope, name="scope:" + scope, default_checked=defaults.contains(scope), size="2")


def _key_form(*, scopes: ArrayVar[Sequence[str]], default_scopes: ArrayVar[Sequence[str]], default_name: str,
              name_error: rx.Var[str], error: rx.Var[str], creating: rx.Var[bool],
              on_submit: rx.EventHandler, on_cancel: rx.EventHandler) -> rx.Component:
    return rx.form(
        rx.vstack(
            field(label="Key name", field_id="key_name", error=name_error, default_value=default_name,
                  hint="Say where it will live, so you know which one to revoke later."),
            rx.el.fieldset(
                rx.el.legend(rx.text("Scopes", size="2", weight="medium", color=theme.TEXT)),
                rx.grid(rx.foreach(scopes, lambda scope: _scope_checkbox(scope, default_scopes)),
                        columns={"initial": "1", "sm": "2"}, gap="0.5rem", padding_top="0.5rem"),
                style={"border": "none", "padding": "0", "margin": "0"},
            ),
            form_alert(error),
            rx.hstack(
                rx.button("Create key", type="submit", loading=creating, size="2"),
                rx.button("Cancel", type="button", variant="soft", color_scheme="gray", size="2",
                          on_click=on_cancel),
                spacing="2",
            ),
            spacing="3",
            width="100%",
            max_width="36rem",
        ),
        on_submit=on_submit,
        aria_label="Create an API key",
        width="100%",
    )


def _verify_first(*, notice: rx.Var[str], on_resend: rx.EventHandler) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("mail-warning")),
        rx.vstack(
            rx.callout.text("Confirm your email address before creating API keys: until then, anyone could have "
                            "signed up with it. Open the link we sent you, or ask for a new one."),
            rx.button("Resend the confirmation link", on_click=on_resend, variant="outline", size="1"),
            rx.cond(notice != "", rx.text(notice, size="2", role="status")),
            spacing="2",
            align="start",
        ),
        color_scheme="amber", variant="surface", role="status", width="100%",
    )


def _new_key(key: rx.Var[str], *, on_dismiss: rx.EventHandler) -> rx.Component:
    return rx.callout.root(
        rx.callout.icon(rx.icon("key-round")),
        rx.vstack(
            rx.text("Your new API key", weight="bold", size="2"),
            rx.text("Copy it now: this is the only time it is shown. Store it like a password.", size="2"),
            rx.hstack(
                rx.code(key, size="2", word_break="break-all", padding="0.5rem", flex="1", aria_label="New API key"),
                rx.icon_button(rx.icon("copy", size=16), on_click=rx.set_clipboard(key), aria_label="Copy key",
                               variant="soft", size="2"),
                align="center",
                spacing="2",
                width="100%",
            ),
            rx.button("I have copied it", on_click=on_dismiss, size="2"),
            spacing="2",
            width="100%",
            align="start",
        ),
        color_scheme="grass", variant="surface", role="status", width="100%",
    )


def key_quick_start(
    *, signed_in: rx.Var[bool], key_prefix: rx.Var[str], email_verified: rx.Var[bool], form_open: rx.Var[bool],
    new_key: rx.Var[str], scopes: ArrayVar[Sequence[str]], default_scopes: ArrayVar[Sequence[str]], default_name: str,
    name_error: rx.Var[str], error: rx.Var[str], creating: rx.Var[bool], resend_notice: rx.Var[str],
    on_toggle: rx.EventHandler, on_create: rx.EventHandler, on_resend: rx.EventHandler,
    on_dismiss: rx.EventHandler,
) -> rx.Component:
    """Which key to use: the viewer's own key prefix and a form creating one here, or a sign-in link."""
    return rx.cond(
        signed_in,
        rx.vstack(
            rx.flex(
                rx.cond(
                    key_prefix != "",
                    rx.text("Your newest key starts with ", rx.code(key_prefix, "…"), ". Put it in ",
                            rx.code("DREAMPIXEL_API_KEY"), " and every sample below works as written.", size="2"),
                    rx.text("You have no API key yet: create one, then put it in ", rx.code("DREAMPIXEL_API_KEY"),
                            ".", size="2"),
                ),
                rx.cond(~form_open, rx.button("Create a key", size="2", on_click=on_toggle, flex_shrink="0")),
                gap="3", align={"initial": "start", "sm": "center"}, justify="between",
                direction={"initial": "column", "sm": "row"}, width="100%",
            ),
            rx.cond(new_key != "", _new_key(new_key, on_dismiss=on_dismiss)),
            rx.cond(
                form_open,
                rx.cond(
                    email_verified,
                    _key_form(scopes=scopes, default_scopes=default_scopes, default_name=default_name,
                              name_error=name_error, error=error, creating=creating, on_submit=on_create,
                              on_cancel=on_toggle),
                    _verify_first(notice=resend_notice, on_resend=on_resend),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        rx.flex(
            rx.text("Sign in to see your keys and create one here; the samples use a placeholder key until then.",
                    size="2"),
            rx.link(rx.button("Sign in", size="2"), href="/login?next=/developers"),
            gap="3", align="center", justify="between", wrap="wrap", width="100%",
        ),
    )


def key_export(key_prefix: rx.Var[str]) -> rx.Component:
    """The quick start's first line: the visitor's key prefix, or a placeholder."""
    line = rx.cond(
        key_prefix != "",
        'export DREAMPIXEL_API_KEY="' + key_prefix.to(str) + '…"  # your whole key, from when you created it',
        'export DREAMPIXEL_API_KEY="dp_live_..."',
    )
    return code_sample(line.to(str), label="the key export")
