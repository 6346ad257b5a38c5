"""Pieces of the gallery page: filters, the grid and its tiles, the detail and delete dialogs.

Pure UI: vars and event handlers come in as arguments. Cards and detail rows are
dict[str, str] vars (flags are "1" or "").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from reflex.vars import ArrayVar, NumberVar, ObjectVar

from components import theme
from components.buttons import link_button

Handler = Callable[..., Any]
Card = ObjectVar[dict[str, str]]
Rows = ArrayVar[Sequence[dict[str, str]]]

STATUS_LABELS = [("any", "Any status"), ("succeeded", "Succeeded"), ("processing", "Processing"),
                 ("queued", "Queued"), ("failed", "Failed"), ("canceled", "Canceled"), ("expired", "Expired")]
SHAPE_LABELS = [("any", "Any size"), ("square", "Square"), ("portrait", "Portrait"), ("landscape", "Landscape")]
SORT_LABELS = [("newest", "Newest first"), ("oldest", "Oldest first")]
GRID_COLUMNS = {"initial": "2", "sm": "3", "md": "4"}
# Behind the checkbox and star laid over a thumbnail: they stay visible on dark and light images.
ON_IMAGE = rx.color_mode_cond("rgba(255,255,255,0.85)", "rgba(24,20,30,0.85)")
GRID_TEMPLATE = rx.breakpoints(initial="repeat(2, minmax(0, 1fr))", sm="repeat(3, minmax(0, 1fr))",
                               md="repeat(4, minmax(0, 1fr))")


def status_badge(status: rx.Var[str], color: rx.Var[str]) -> rx.Component:
    return rx.badge(status, color_scheme=color, variant="soft", radius="full", text_transform="capitalize")


def _select(value: rx.Var[str], options: list[tuple[str, str]] | ArrayVar[Sequence[str]], *, label: str,
            on_change: Handler) -> rx.Component:
    if isinstance(options, list):
        items = [rx.select.item(text, value=key) for key, text in options]
    else:
        items = [rx.select.item("Any provider", value="any"),
                 rx.foreach(options, lambda p: rx.select.item(p, value=p))]
    return rx.select.root(
        # Two to a row on phones, filling it; their own width from the tablet up.
        rx.select.trigger(aria_label=label, min_width="9rem", flex=rx.breakpoints(initial="1 1 40%", sm="0 0 auto")),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        size="2",
    )


def _date(value: rx.Var[str], *, label: str, on_change: Handler) -> rx.Component:
    return rx.input(type="date", value=value, on_change=on_change, aria_label=label, size="2",
                    flex=rx.breakpoints(initial="1", sm="none"), width=rx.breakpoints(initial="auto", sm="9.5rem"),
                    min_width="0")


@dataclass(frozen=True)
class FilterVars:
    text: rx.Var[str]
    status: rx.Var[str]
    provider: rx.Var[str]
    providers: ArrayVar[Sequence[str]]
    favorites_only: rx.Var[bool]
    shape: rx.Var[str]
    date_from: rx.Var[str]
    date_to: rx.Var[str]
    sort: rx.Var[str]
    filtered: rx.Var[bool]


def filters_bar(v: FilterVars, *, on_search: Handler, on_choice: Handler, on_day: Handler,
                on_favorites: Handler, on_clear: Handler) -> rx.Component:
    """Search over prompts, then the filters and the sort; every change applies at once."""
    return rx.vstack(
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="text", default_value=v.text, key=v.text, placeholder="Search your prompts",
                    aria_label="Search prompts", type="search", size="3", flex="1", min_width="0",
                ),
                rx.button("Search", type="submit", size="3"),
                spacing="2",
                width="100%",
            ),
            on_submit=on_search,
            reset_on_submit=False,
            role="search",
            width="100%",
        ),
        rx.flex(
            _select(v.status, STATUS_LABELS, label="Status", on_change=lambda x: on_choice("status", x)),
            _select(v.provider, v.providers, label="Provider", on_change=lambda x: on_choice("provider", x)),
            _select(v.shape, SHAPE_LABELS, label="Size", on_change=lambda x: on_choice("shape", x)),
            _select(v.sort, SORT_LABELS, label="Sort", on_change=lambda x: on_choice("sort", x)),
            rx.el.label(
                rx.hstack(rx.switch(checked=v.favorites_only, on_change=on_favorites, size="2"),
                          rx.text("Favourites", size="2", color=theme.TEXT), spacing="2", align="center"),
            ),
            rx.hstack(
                rx.text("Created", size="2", color=theme.TEXT_MUTED, flex_shrink="0"),
                _date(v.date_from, label="Created from", on_change=lambda x: on_day("date_from", x)),
                rx.text("to", size="2", color=theme.TEXT_MUTED),
                _date(v.date_to, label="Created to", on_change=lambda x: on_day("date_to", x)),
                spacing="2",
                align="center",
                width=rx.breakpoints(initial="100%", sm="auto"),
            ),
            rx.cond(v.filtered, rx.button("Clear filters", on_click=on_clear, variant="ghost", size="2")),
            gap="0.75rem",
            wrap="wrap",
            align="center",
            width="100%",
        ),
        spacing="3",
        width="100%",
    )


def _thumbnail(card: Card) -> rx.Component:
    return rx.cond(
        card["thumbnail_url"] != "",
        rx.image(src=card["thumbnail_url"], alt=card["prompt"], loading="lazy", width="100%", height="100%",
                 object_fit="cover", display="block"),
        rx.center(
            rx.vstack(
                rx.icon(rx.cond(card["status"] == "failed", "image-off", "hourglass"), size=28,
                        color=theme.TEXT_MUTED),
                rx.text(card["status"], size="1", color=theme.TEXT_MUTED, text_transform="capitalize"),
                align="center",
                spacing="1",
            ),
            width="100%",
            height="100%",
            background=rx.color(theme.GRAY, 3),
        ),
    )


def card_tile(card: Card, *, selected: ArrayVar[Sequence[str]], on_open: Handler, on_select: Handler,
              on_favorite: Handler) -> rx.Component:
    """A tile: the thumbnail opens the detail; a checkbox selects it; the star favourites it."""
    is_selected = selected.contains(card["id"])
    return rx.el.li(
        rx.box(
            rx.el.button(
                rx.aspect_ratio(_thumbnail(card), ratio=1),
                on_click=on_open(card["id"]),
                aria_label="Open details: " + card["prompt"],
                style={"display": "block", "width": "100%", "padding": "0", "border": "none", "cursor": "pointer",
                       "background": "transparent"},
            ),
            rx.box(
                rx.checkbox(checked=is_selected, on_change=lambda _checked: on_select(card["id"]),
                            aria_label="Select: " + card["prompt"], size="2"),
                position="absolute", top="0.5rem", left="0.5rem", padding="0.25rem", line_height="0",
                border_radius="var(--radius-2)", background=ON_IMAGE,
            ),
            rx.box(
                rx.icon_button(
                    rx.icon("star", size=16, fill=rx.cond(card["favorite"] == "1", "currentColor", "none")),
                    on_click=on_favorite(card["id"]),
                    aria_label=rx.cond(card["favorite"] == "1", "Unfavourite: ", "Favourite: ") + card["prompt"],
                    aria_pressed=rx.cond(card["favorite"] == "1", "true", "false"),
                    variant="soft", color_scheme=rx.cond(card["favorite"] == "1", "amber", "gray"), size="1",
                ),
                position="absolute", top="0.5rem", right="0.5rem", line_height="0",
                border_radius="var(--radius-2)", background=ON_IMAGE,
            ),
            position="relative",
            overflow="hidden",
            border_radius="var(--radius-4) var(--radius-4) 0 0",
        ),
        rx.vstack(
            rx.text(card["prompt"], size="2", color=theme.TEXT, weight="medium",
                    style={"display": "-webkit-box", "-webkit-line-clamp": "2", "-webkit-box-orient": "vertical",
                           "overflow": "hidden"}),
            rx.hstack(
                status_badge(card["status"], card["status_color"]),
                rx.text(card["size"], size="1", color=theme.TEXT_MUTED),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            spacing="2",
            padding="0.75rem",
        ),
        list_style="none",
        border=rx.cond(is_selected, f"2px solid {theme.BRAND}", f"1px solid {theme.BORDER}"),
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        overflow="hidden",
    )


def grid(cards: Rows, render: Callable[[Card], rx.Component]) -> rx.Component:
    return rx.el.ul(
        rx.foreach(cards, render),
        aria_label="Your images",
        display="grid",
        grid_template_columns=GRID_TEMPLATE,
        gap="1rem",
        width="100%",
        padding="0",
        margin="0",
    )


def skeleton_grid(count: int = 8) -> rx.Component:
    """Placeholders the size of tiles while the first page loads."""
    return rx.grid(
        *[rx.vstack(rx.skeleton(rx.box(width="100%", padding_top="100%")),
                    rx.skeleton(rx.text("A prompt that is loading", size="2")), spacing="2", width="100%")
          for _ in range(count)],
        columns=GRID_COLUMNS,
        gap="1rem",
        width="100%",
        role="status",
        aria_label="Loading your images",
    )


def empty_state(filtered: rx.Var[bool], on_clear: Handler) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.center(rx.icon("images", size=26, color=theme.BRAND_TEXT), width="56px", height="56px",
                      border_radius="var(--radius-5)", background=theme.BRAND_SOFT),
            rx.cond(
                filtered,
                rx.fragment(
                    rx.heading("Nothing matches", as_="h2", size="5", color=theme.TEXT),
                    rx.text("No image matches this search and these filters.", size="2", color=theme.TEXT_MUTED,
                            text_align="center"),
                    rx.button("Clear filters", on_click=on_clear, variant="soft", size="2"),
                ),
                rx.fragment(
                    rx.heading("No images yet", as_="h2", size="5", color=theme.TEXT),
                    rx.text("Everything you generate appears here. Describe an image to make your first one.",
                            size="2", color=theme.TEXT_MUTED, text_align="center", max_width="26rem"),
                    link_button("Generate an image", href="/generate", size="3"),
                ),
            ),
            spacing="3",
            align="center",
        ),
        padding_y="4rem",
        width="100%",
        border=f"1px dashed {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
    )


def load_more(*, button_id: str, has_more: rx.Var[bool], loading: rx.Var[bool], on_click: Handler) -> rx.Component:
    return rx.cond(
        has_more,
        rx.center(rx.button("Load more", id=button_id, on_click=on_click, loading=loading, disabled=loading,
                            variant="soft", size="2"), width="100%", padding_y="1rem"),
    )


def bulk_bar(*, count: NumberVar[int], zip_url: rx.Var[str], on_select_all: Handler, on_clear: Handler,
             on_delete: Handler) -> rx.Component:
    """What to do with the selected images; shown while at least one is selected."""
    return rx.cond(
        count > 0,
        rx.flex(
            rx.text(count.to_string() + " selected", size="2", weight="medium", color=theme.TEXT,
                    role="status"),
            rx.flex(
                rx.button("Select all shown", on_click=on_select_all, variant="ghost", size="2"),
                rx.button("Clear", on_click=on_clear, variant="ghost", size="2"),
                # rx.download, not a link: the router would treat /api/... as a page of the app.
                rx.button(rx.icon("download", size=16), "Download ZIP",
                          on_click=rx.download(url=zip_url, filename="dreampixel-images.zip"), variant="soft",
                          size="2"),
                rx.button(rx.icon("trash-2", size=16), "Delete", on_click=on_delete, color_scheme="red",
                          variant="soft", size="2"),
                gap="0.5rem",
                wrap="wrap",
            ),
            justify="between",
            align="center",
            wrap="wrap",
            gap="0.5rem",
            width="100%",
            padding="0.75rem 1rem",
            border=f"1px solid {theme.BRAND_BORDER}",
            border_radius=theme.RADIUS_CARD,
            background=theme.BRAND_SOFT,
            position="sticky",
            top="72px",
            z_index="10",
        ),
    )


def _fact(label: str, value: rx.Var[str] | rx.Component) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def detail_dialog(*, open_: rx.Var[bool], d: Card, derivatives: Rows, attempts: Rows, on_open_change: Handler,
                  on_copy_seed: Handler, on_favorite: Handler, on_delete: Handler) -> rx.Component:
    """One generation in full: preview, parameters, seed, timings, provider attempts, every file."""
    favorite = d["favorite"] == "1"
    return rx.dialog.root(
        rx.dialog.content(
            rx.flex(
                rx.dialog.title("Image details", margin="0"),
                rx.dialog.close(rx.icon_button(rx.icon("x", size=18), variant="ghost", color_scheme="gray",
                                               aria_label="Close")),
                justify="between",
                align="center",
            ),
            rx.dialog.description(d["prompt"], size="2", color=theme.TEXT_MUTED, padding_bottom="0.75rem"),
            rx.cond(d["preview_url"] != "",
                    rx.image(src=d["preview_url"], alt=d["prompt"], width="100%", max_height="40vh",
                             object_fit="contain", border_radius="var(--radius-4)",
                             background=rx.color(theme.GRAY, 3))),
            rx.flex(
                rx.button(rx.icon("star", size=16, fill=rx.cond(favorite, "currentColor", "none")),
                          rx.cond(favorite, "Unfavourite", "Favourite"), on_click=on_favorite(d["id"]),
                          variant="soft", color_scheme=rx.cond(favorite, "amber", "gray"), size="2"),
                link_button(rx.icon("repeat", size=16), "Reuse settings", href=d["reuse_url"], size="2",
                            variant="soft"),
                rx.button(rx.icon("trash-2", size=16), "Delete", on_click=on_delete, color_scheme="red",
                          variant="soft", size="2"),
                gap="0.5rem",
                wrap="wrap",
                padding_y="1rem",
            ),
            rx.data_list.root(
                _fact("Status", status_badge(d["status"], d["status_color"])),
                _fact("Seed", rx.cond(
                    d["seed"] != "",
                    rx.hstack(rx.code(d["seed"]), rx.icon_button(rx.icon("copy", size=14), on_click=on_copy_seed,
                                                                  aria_label="Copy seed", variant="ghost", size="1"),
                              align="center", spacing="2"),
                    rx.text("—"),
                )),
                _fact("Negative prompt", rx.cond(d["negative_prompt"] != "", d["negative_prompt"], "—")),
                _fact("Size", d["size"]),
                _fact("Steps", d["steps"]),
                _fact("Guidance", d["guidance"]),
                _fact("Format", d["output_format"]),
                _fact("Variations", d["variations"]),
                _fact("Provider", d["provider_used"] + " (asked for " + d["provider_requested"] + ")"),
                _fact("Created", d["created"]),
                _fact("Started", d["started"]),
                _fact("Completed", d["completed"]),
                _fact("Processing time", d["processing"]),
                _fact("Credits charged", d["credits"]),
                orientation={"initial": "vertical", "sm": "horizontal"},
                size="2",
            ),
            rx.cond(d["error"] != "", rx.callout(d["error"], icon="triangle-alert", color_scheme="red", size="1",
                                                 margin_top="0.75rem")),
            rx.heading("Provider attempts", as_="h3", size="3", padding_top="1.25rem", padding_bottom="0.5rem"),
            rx.cond(
                attempts.length() > 0,
                rx.el.ul(
                    rx.foreach(attempts, lambda a: rx.el.li(
                        rx.text(a["provider"], " · ", a["status"], rx.cond(a["error"] != "", " · " + a["error"], ""),
                                " · ", a["latency"], size="2", color=theme.TEXT))),
                    aria_label="Provider attempts",
                    style={"padding_left": "1.25rem", "margin": "0"},
                ),
                rx.text("No provider was called.", size="2", color=theme.TEXT_MUTED),
            ),
            rx.heading("Files", as_="h3", size="3", padding_top="1.25rem", padding_bottom="0.5rem"),
            rx.cond(
                derivatives.length() > 0,
                rx.el.ul(
                    rx.foreach(derivatives, lambda f: rx.el.li(
                        rx.hstack(
                            rx.link(f["label"], href=f["url"], is_external=True, size="2"),
                            rx.text(f["size"], " · ", f["bytes"], size="2", color=theme.TEXT_MUTED),
                            spacing="2",
                            wrap="wrap",
                        ))),
                    aria_label="Files",
                    style={"padding_left": "1.25rem", "margin": "0"},
                ),
                rx.text("No files: this generation delivered no image.", size="2", color=theme.TEXT_MUTED),
            ),
            max_width="44rem",
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def confirm_delete_dialog(*, open_: rx.Var[bool], count: rx.Var[int], on_confirm: EventSpec | Handler,
                          on_cancel: EventSpec | Handler) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete " + count.to_string() + rx.cond(count == 1, " image?", " images?")),
            rx.alert_dialog.description(
                "The images, their smaller sizes and their settings are removed for good. This cannot be undone.",
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray", on_click=on_cancel)),
                rx.alert_dialog.action(rx.button("Delete", color_scheme="red", on_click=on_confirm)),
                gap="0.75rem",
                justify="end",
                padding_top="1rem",
            ),
        ),
        open=open_,
    )
