"""`/seeds/[seed_id]`: one seed's example images, description and full recipe."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.layout import content
from components.notice import notice
from components.seeds import back_link, example_images, recipe_panel, status_badge
from dreampixel.pages.shell import page
from states.seeds import SeedDetailState as S


def _actions() -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("wand-sparkles", size=16), "Use this seed", on_click=S.use_seed, size="3",
                  disabled=S.status != "APPROVED"),
        rx.button(
            rx.icon("heart", size=16, fill=rx.cond(S.favorite, "currentColor", "none")),
            rx.cond(S.favorite, "Favourited", "Favourite"),
            on_click=S.toggle_favorite,
            variant="soft",
            size="3",
            aria_pressed=S.favorite,
            disabled=S.status != "APPROVED",
        ),
        gap="0.75rem",
        wrap="wrap",
    )


def _body() -> rx.Component:
    return rx.grid(
        rx.box(example_images(S.images, S.title), width="100%"),
        rx.vstack(
            rx.hstack(rx.badge(S.category, variant="soft", radius="full"),
                      rx.cond(S.status != "APPROVED", status_badge(S.status)), spacing="2"),
            rx.heading(S.title, as_="h1", size={"initial": "7", "sm": "8"}, color=theme.TEXT,
                       letter_spacing=theme.HEADING_TRACKING),
            rx.text("by ", S.creator, " · ", S.uses, rx.cond(S.uses == 1, " use · ", " uses · "), S.favorites,
                    rx.cond(S.favorites == 1, " favourite", " favourites"), size="2", color=theme.TEXT_MUTED),
            rx.cond(S.description != "", rx.text(S.description, size="3", color=theme.TEXT, line_height="1.6")),
            _actions(),
            rx.cond(S.error != "", rx.text(S.error, size="2", color=rx.color("red", 11), role="alert")),
            recipe_panel(prompt=S.prompt, negative_prompt=S.negative_prompt, seed_number=S.seed_number,
                         settings=S.settings),
            spacing="4",
            width="100%",
            min_width="0",
        ),
        columns={"initial": "1", "md": "2"},
        gap="2rem",
        width="100%",
    )


def _skeleton() -> rx.Component:
    return rx.grid(
        rx.skeleton(rx.box(aspect_ratio="1", width="100%")),
        rx.vstack(rx.skeleton(rx.box(height="2.5rem", width="70%")), rx.skeleton(rx.box(height="1rem", width="50%")),
                  rx.skeleton(rx.box(height="12rem", width="100%")), spacing="4", width="100%"),
        columns={"initial": "1", "md": "2"},
        gap="2rem",
        width="100%",
        aria_busy="true",
    )


@page(route="/seeds/[seed_id]", title="Seed · Dream Pixel", on_load=S.load)
def seed_detail() -> rx.Component:
    return rx.cond(
        S.found,
        content(
            rx.vstack(back_link(), rx.cond(S.loading, _skeleton(), _body()), spacing="4", width="100%"),
            padding_y=rx.breakpoints(initial="1.5rem", sm="2.5rem"),
        ),
        notice(icon="sprout", eyebrow="Not found", title="This seed is not available",
               body="It may have been removed, or it is still waiting for moderation.",
               action=("Browse seeds", "/seeds")),
    )
