"""`/gallery`: every image the signed-in user made, searchable, with details, favourites,
deletion and ZIP download."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.gallery import (
    FilterVars,
    bulk_bar,
    card_tile,
    confirm_delete_dialog,
    detail_dialog,
    empty_state,
    filters_bar,
    grid,
    load_more,
    skeleton_grid,
)
from components.layout import content
from dreampixel.pages.shell import page
from states.gallery import LOAD_MORE_ID, GalleryState

RETENTION = "Images are kept until you delete them or your account."


def _filters() -> rx.Component:
    s = GalleryState
    return filters_bar(
        FilterVars(text=s.text, status=s.status, provider=s.provider, providers=s.providers,
                   favorites_only=s.favorites_only, shape=s.shape, date_from=s.date_from, date_to=s.date_to,
                   sort=s.sort, filtered=s.filtered),
        on_search=s.search, on_choice=s.set_choice, on_day=s.set_day, on_favorites=s.set_favorites_only,
        on_clear=s.clear_filters,
    )


def _grid() -> rx.Component:
    s = GalleryState
    return rx.cond(
        s.loading & (s.cards.length() == 0),
        skeleton_grid(),
        rx.cond(
            s.cards.length() > 0,
            rx.vstack(
                grid(s.cards, lambda card: card_tile(card, selected=s.selected, on_open=s.open_detail,
                                                     on_select=s.toggle_selected, on_favorite=s.toggle_favorite)),
                load_more(button_id=LOAD_MORE_ID, has_more=s.has_more, loading=s.loading_more,
                          on_click=s.load_more),
                width="100%",
                spacing="3",
                opacity=rx.cond(s.loading, "0.6", "1"),
            ),
            empty_state(s.filtered, s.clear_filters),
        ),
    )


@page(route="/gallery", title="Gallery · Dream Pixel", nav="Gallery", nav_order=2)
def gallery() -> rx.Component:
    s = GalleryState
    return content(
        rx.cond(
            s.ready,
            rx.vstack(
                rx.vstack(
                    rx.heading("Gallery", as_="h1", size={"initial": "7", "sm": "8"}, color=theme.TEXT,
                               letter_spacing=theme.HEADING_TRACKING),
                    rx.text(RETENTION, size="2", color=theme.TEXT_MUTED),
                    spacing="1",
                ),
                _filters(),
                bulk_bar(count=s.selected.length(), zip_url=s.zip_url,
                         on_select_all=s.select_all, on_clear=s.clear_selection, on_delete=s.ask_delete_selected),
                _grid(),
                spacing="5",
                width="100%",
            ),
            rx.hstack(rx.spinner(size="3"), rx.text("Loading your gallery…", color=theme.TEXT_MUTED),
                      spacing="3", align="center", role="status", padding_y="2rem"),
        ),
        # For a dict field mypy picks the sequence overload of Reflex's Field.__get__ (an ArrayVar).
        detail_dialog(open_=s.detail_open, d=s.detail,  # type: ignore[arg-type]
                      derivatives=s.detail_derivatives, attempts=s.detail_attempts, on_open_change=s.set_detail_open, on_copy_seed=s.copy_seed,
                      on_favorite=s.toggle_favorite, on_delete=s.ask_delete_shown),
        confirm_delete_dialog(open_=s.confirm_open, count=s.confirm_ids.length(),
                              on_confirm=s.confirm_delete, on_cancel=s.cancel_delete),
        padding_y=rx.breakpoints(initial="2rem", sm="3rem"),
        # Loads on every visit, client-side navigation included (the page registers no on_load).
        on_mount=s.load,
    )
