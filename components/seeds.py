"""Pieces of the seeds marketplace. Pure UI: vars and event handlers come in as arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx
from reflex.vars import ArrayVar, ObjectVar

from components import theme
from components.buttons import link_button

Card = ObjectVar[dict[str, str]]  # id, title, creator, uses, category, image_url
Rows = ArrayVar[Sequence[dict[str, str]]]
CATEGORY_LABELS = [("all", "All"), ("portrait", "Portrait"), ("landscape", "Landscape"), ("anime", "Anime"),
                   ("abstract", "Abstract"), ("other", "Other")]


def page_heading(title: str, subtitle: str, *actions: rx.Component) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.heading(title, as_="h1", size={"initial": "7", "sm": "8"}, color=theme.TEXT,
                       letter_spacing=theme.HEADING_TRACKING),
            rx.text(subtitle, size="3", color=theme.TEXT_MUTED, max_width="40rem"),
            spacing="2",
        ),
        rx.hstack(*actions, spacing="3"),
        direction={"initial": "column", "sm": "row"},
        justify="between",
        align={"initial": "start", "sm": "end"},
        gap="1rem",
        width="100%",
    )


def _uses(count: rx.Var[str]) -> rx.Var[str]:
    return rx.cond(count == "1", " use", " uses")


def _artwork(src: rx.Var[str], alt: rx.Var[str]) -> rx.Component:
    return rx.cond(
        src != "",
        rx.image(src=src, alt=alt, loading="lazy", width="100%", height="100%", object_fit="cover",
                 display="block"),
        rx.center(rx.icon("image", size=28, color=theme.TEXT_MUTED), width="100%", height="100%",
                  background=rx.color(theme.GRAY, 3)),
    )


def seed_card(card: Card) -> rx.Component:
    """An example image, the title, who made it and how often it was used; links to the detail."""
    return rx.link(
        rx.box(
            rx.box(_artwork(card["image_url"], card["title"]), aspect_ratio="1", width="100%", overflow="hidden",
                   background=rx.color(theme.GRAY, 3)),
            rx.vstack(
                rx.text(card["title"], weight="bold", size="3", color=theme.TEXT, width="100%",
                        style={"display": "-webkit-box", "-webkit-line-clamp": "2", "-webkit-box-orient": "vertical",
                               "overflow": "hidden", "overflow_wrap": "anywhere"}),
                # Side by side where the card is wide enough; stacked in the two-column phone grid.
                rx.flex(
                    rx.text("by ", card["creator"], size="1", color=theme.TEXT_MUTED, overflow="hidden",
                            text_overflow="ellipsis", white_space="nowrap", min_width="0", max_width="100%"),
                    rx.hstack(rx.icon("repeat", size=12), rx.text(card["uses"], _uses(card["uses"]), size="1"),
                              spacing="1", align="center", color=theme.TEXT_MUTED, flex_shrink="0"),
                    direction={"initial": "column", "sm": "row"},
                    justify="between",
                    align={"initial": "start", "sm": "center"},
                    width="100%",
                    gap="0.25rem 0.5rem",
                ),
                spacing="2",
                padding="0.875rem",
                width="100%",
            ),
            border=f"1px solid {theme.BORDER}",
            border_radius=theme.RADIUS_CARD,
            background=theme.SURFACE,
            overflow="hidden",
            transition="transform 120ms ease, box-shadow 120ms ease",
            _hover={"transform": "translateY(-2px)", "box_shadow": theme.SHADOW_CARD},
            height="100%",
        ),
        href="/seeds/" + card["id"].to(str),
        underline="none",
        aria_label=card["title"],
        data_testid="seed-card",
        display="block",
    )


GRID_COLUMNS = {"initial": "2", "sm": "3", "md": "4"}
# The featured cards take the grid's columns, so every card is whole on any screen.
FEATURED_COLUMNS = rx.breakpoints(initial="repeat(2, minmax(0, 1fr))", sm="repeat(3, minmax(0, 1fr))",
                                  md="repeat(4, minmax(0, 1fr))")


def _skeleton_card() -> rx.Component:
    return rx.box(
        rx.skeleton(rx.box(aspect_ratio="1", width="100%")),
        rx.vstack(rx.skeleton(rx.box(height="1rem", width="70%")), rx.skeleton(rx.box(height="0.75rem", width="45%")),
                  spacing="2", padding="0.875rem"),
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        overflow="hidden",
        background=theme.SURFACE,
    )


def seed_grid(cards: Rows, *, loading: rx.Var[bool], empty: rx.Component,
              skeletons: int = 8) -> rx.Component:
    """Cards in a responsive grid; skeletons while loading; `empty` when there is nothing to show."""
    return rx.cond(
        loading,
        rx.grid(*[_skeleton_card() for _ in range(skeletons)], columns=GRID_COLUMNS, gap="1rem", width="100%",
                aria_busy="true", aria_label="Loading seeds"),
        rx.cond(
            cards.length() > 0,
            rx.grid(rx.foreach(cards, seed_card), columns=GRID_COLUMNS, gap="1rem", width="100%"),
            empty,
        ),
    )


def empty_state(*, icon: str, title: str, body: rx.Var[str] | str, action: rx.Component | None = None) -> rx.Component:
    return rx.vstack(
        rx.center(rx.icon(icon, size=24, color=theme.BRAND_TEXT), width="48px", height="48px",
                  border_radius="var(--radius-4)", background=theme.BRAND_SOFT),
        rx.heading(title, as_="h3", size="4", color=theme.TEXT),
        rx.text(body, size="2", color=theme.TEXT_MUTED, text_align="center", max_width="28rem"),
        action or rx.fragment(),
        spacing="3",
        align="center",
        width="100%",
        padding_y="3rem",
        border=f"1px dashed {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
    )


def featured_row(cards: Rows, *, title: str = "Featured") -> rx.Component:
    """The team's picks in a grid that wraps (two across on phones, like the grid below); hidden when empty."""
    return rx.cond(
        cards.length() > 0,
        rx.el.section(
            rx.hstack(rx.icon("star", size=16, color=theme.BRAND_TEXT),
                      rx.heading(title, as_="h2", size="4", color=theme.TEXT, id="featured-heading"),
                      spacing="2", align="center", padding_bottom="0.75rem"),
            # A plain CSS grid, not rx.grid: the marketplace's own grid is the page's one .rt-Grid of cards.
            rx.box(
                rx.foreach(cards, seed_card),
                display="grid",
                grid_template_columns=FEATURED_COLUMNS,
                gap="1rem",
                width="100%",
            ),
            aria_labelledby="featured-heading",
            width="100%",
        ),
    )


def category_tabs(current: rx.Var[str], on_change: Callable[[Any], Any]) -> rx.Component:
    return rx.tabs.root(
        rx.tabs.list(*[rx.tabs.trigger(label, value=value) for value, label in CATEGORY_LABELS],
                     size="2", overflow_x="auto", max_width="100%"),
        value=current,
        on_change=on_change,
        width="100%",
    )


def toolbar(*, query: rx.Var[str], on_search: Any, on_clear: Any, sort: rx.Var[str],
            on_sort: Callable[[Any], Any]) -> rx.Component:
    """Search (submit to apply) and the popular/new switch."""
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    name="q",
                    placeholder="Search seeds",
                    default_value=query,
                    key=query,
                    type="search",
                    aria_label="Search seeds",
                    size="3",
                    width="100%",
                ),
                rx.button("Search", type="submit", size="3", variant="soft"),
                rx.cond(query != "", rx.button("Clear", type="button", size="3", variant="ghost", color_scheme="gray",
                                               on_click=on_clear)),
                spacing="2",
                width="100%",
            ),
            on_submit=on_search,
            reset_on_submit=False,
            role="search",
            flex="1",
            width="100%",
            max_width=rx.breakpoints(initial="100%", sm="28rem"),
        ),
        rx.segmented_control.root(
            rx.segmented_control.item("Popular", value="popular"),
            rx.segmented_control.item("New", value="new"),
            value=sort,
            on_change=on_sort,
            size="2",
            aria_label="Sort seeds",
        ),
        direction={"initial": "column", "sm": "row"},
        justify="between",
        align={"initial": "stretch", "sm": "center"},
        gap="0.75rem",
        width="100%",
    )


# --- the detail page --------------------------------------------------------------------

def _recipe_row(label: str | rx.Var[str], value: rx.Var[str] | rx.Component) -> rx.Component:
    return rx.flex(
        rx.text(label, size="2", color=theme.TEXT_MUTED, width=rx.breakpoints(initial="auto", sm="9rem"),
                flex_shrink="0"),
        rx.box(value, flex="1", min_width="0"),
        gap=rx.breakpoints(initial="0.25rem", sm="0.75rem"),
        padding_y="0.5rem",
        border_top=f"1px solid {theme.BORDER}",
        direction={"initial": "column", "sm": "row"},
        width="100%",
    )


def _mono(value: rx.Var[str]) -> rx.Component:
    return rx.text(value, size="2", color=theme.TEXT, font_family=theme.FONT_MONO, word_break="break-word")


def recipe_panel(*, prompt: rx.Var[str], negative_prompt: rx.Var[str], seed_number: rx.Var[str],
                 settings: ArrayVar[Sequence[Sequence[str]]]) -> rx.Component:
    """The full recipe: prompt, negative prompt, settings and the seed number."""
    return rx.el.section(
        rx.heading("Recipe", as_="h2", size="4", color=theme.TEXT, id="recipe-heading", padding_bottom="0.5rem"),
        _recipe_row("Prompt", _mono(prompt)),
        _recipe_row("Negative prompt", rx.cond(negative_prompt != "", _mono(negative_prompt),
                                               rx.text("None", size="2", color=theme.TEXT_MUTED))),
        _recipe_row("Seed", _mono(seed_number)),
        rx.foreach(settings, lambda pair: _recipe_row(pair[0], _mono(pair[1]))),
        aria_labelledby="recipe-heading",
        width="100%",
        padding="1.25rem",
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
    )


def example_images(images: ArrayVar[Sequence[str]], alt: rx.Var[str]) -> rx.Component:
    return rx.cond(
        images.length() > 0,
        rx.vstack(
            rx.foreach(images, lambda src: rx.image(src=src, alt=alt, width="100%", height="auto",
                                                    border_radius=theme.RADIUS_CARD, display="block",
                                                    border=f"1px solid {theme.BORDER}")),
            spacing="3",
            width="100%",
        ),
        rx.center(rx.icon("image", size=40, color=theme.TEXT_MUTED), aspect_ratio="1", width="100%",
                  border_radius=theme.RADIUS_CARD, background=rx.color(theme.GRAY, 3)),
    )


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        ("APPROVED", rx.badge("Published", color_scheme="green", variant="soft", radius="full")),
        ("REJECTED", rx.badge("Rejected", color_scheme="red", variant="soft", radius="full")),
        rx.badge("Waiting for moderation", color_scheme="amber", variant="soft", radius="full"),
    )


def back_link() -> rx.Component:
    return link_button(rx.icon("arrow-left", size=16), "All seeds", href="/seeds", variant="ghost",
                       color_scheme="gray", size="2")


# --- publishing ---------------------------------------------------------------------------

def my_seeds_list(rows: Rows) -> rx.Component:
    """The viewer's submitted seeds with their moderation status and any rejection reason."""
    return rx.cond(
        rows.length() > 0,
        rx.el.ul(
            rx.foreach(rows, lambda row: rx.el.li(
                rx.flex(
                    rx.vstack(
                        rx.link(row["title"], href="/seeds/" + row["id"].to(str), weight="medium", size="2",
                                color=theme.TEXT),
                        rx.cond(row["reason"] != "", rx.text("Reason: ", row["reason"], size="1",
                                                             color=rx.color("red", 11))),
                        spacing="1",
                        min_width="0",
                    ),
                    rx.hstack(rx.text(row["uses"], _uses(row["uses"]), size="1", color=theme.TEXT_MUTED),
                              status_badge(row["status"]), spacing="3", align="center"),
                    justify="between",
                    align="center",
                    gap="0.75rem",
                    wrap="wrap",
                    padding_y="0.75rem",
                    border_top=f"1px solid {theme.BORDER}",
                ),
            )),
            list_style="none",
            padding="0",
            margin="0",
            width="100%",
        ),
        rx.text("You have not published a seed yet.", size="2", color=theme.TEXT_MUTED),
    )


def _label(text: str, field_id: str) -> rx.Component:
    # A real <label for=...>: rx.text(as_="label") drops `html_for`, leaving the field unnamed.
    return rx.el.label(rx.text(text, as_="span", size="2", weight="medium"), html_for=field_id)


def _field_error(errors: ObjectVar[dict[str, str]], name: str) -> rx.Component:
    return rx.cond(errors.contains(name), rx.text(errors[name], size="1", color=rx.color("red", 11), role="alert"))


def publish_dialog(*, open_: rx.Var[bool], on_open_change: Any, options: Rows, chosen: rx.Var[str],
                   on_choose: Callable[[Any], Any], on_submit: Any, errors: ObjectVar[dict[str, str]],
                   busy: rx.Var[bool]) -> rx.Component:
    """Pick one of your succeeded generations, name it and choose a category."""

    def option(row: Card) -> rx.Component:
        selected = chosen == row["generation_id"]
        return rx.box(
            _artwork(row["image_url"], row["prompt"]),
            on_click=on_choose(row["generation_id"]),
            role="radio",
            aria_checked=selected,
            aria_label=row["prompt"],
            tab_index=0,
            cursor="pointer",
            aspect_ratio="1",
            overflow="hidden",
            border_radius="var(--radius-3)",
            outline=rx.cond(selected, f"3px solid {theme.BRAND}", f"1px solid {theme.BORDER}"),
        )

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Publish a seed"),
            rx.dialog.description("Share the recipe behind one of your images. A moderator reviews it first.",
                                  size="2", color=theme.TEXT_MUTED),
            rx.cond(
                options.length() > 0,
                rx.form(
                    rx.vstack(
                        rx.text("Generation", size="2", weight="medium"),
                        rx.grid(rx.foreach(options, option), columns="4", gap="0.5rem", width="100%",
                                role="radiogroup", aria_label="Generation", max_height="14rem", overflow_y="auto",
                                padding="3px"),
                        _field_error(errors, "generation_id"),
                        _label("Title", "seed-title"),
                        rx.input(id="seed-title", name="title", max_length=120, required=True, width="100%"),
                        _field_error(errors, "title"),
                        _label("Description", "seed-description"),
                        rx.text_area(id="seed-description", name="description", max_length=2000, rows="3",
                                     width="100%"),
                        _field_error(errors, "description"),
                        _label("Category", "seed-category"),
                        # The form's own select (it submits `category`), drawn like every other select.
                        rx.select.root(
                            rx.select.trigger(id="seed-category", width="100%"),
                            rx.select.content(*[rx.select.item(label, value=value)
                                                for value, label in CATEGORY_LABELS[1:]]),
                            name="category",
                            default_value="other",
                        ),
                        _field_error(errors, "form"),
                        rx.hstack(
                            rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")),
                            rx.button("Submit for review", type="submit", loading=busy),
                            justify="end",
                            width="100%",
                            padding_top="0.5rem",
                        ),
                        spacing="2",
                        width="100%",
                        padding_top="1rem",
                    ),
                    on_submit=on_submit,
                    reset_on_submit=False,
                ),
                rx.vstack(
                    rx.text("Seeds are made from images you created. Generate one first, then publish it here.",
                            size="2", color=theme.TEXT_MUTED),
                    rx.hstack(rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                              link_button("Generate an image", href="/generate"), justify="end", width="100%"),
                    spacing="4",
                    padding_top="1rem",
                ),
            ),
            max_width="34rem",
        ),
        open=open_,
        on_open_change=on_open_change,
    )
