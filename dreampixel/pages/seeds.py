"""`/seeds`: the marketplace (featured row, categories, search, sort) and publishing your own seeds."""

from __future__ import annotations

import reflex as rx

from components.account import notice_text, section
from components.buttons import link_button
from components.layout import content
from components.seeds import (
    category_tabs,
    empty_state,
    featured_row,
    my_seeds_list,
    page_heading,
    publish_dialog,
    seed_grid,
    toolbar,
)
from dreampixel.pages.shell import page
from states.seeds import PublishState, SeedsState


def _publish_button() -> rx.Component:
    return rx.cond(
        PublishState.signed_in,
        rx.button(rx.icon("upload", size=16), "Publish a seed", on_click=PublishState.open_dialog(""), size="3"),
        link_button("Sign in to publish", href="/login?next=%2Fseeds", size="3", variant="soft"),
    )


def _my_seeds() -> rx.Component:
    return rx.cond(
        PublishState.signed_in,
        section("My seeds", "What you published, and where each one is in moderation.",
                my_seeds_list(PublishState.mine), section_id="my-seeds"),
    )


@page(route="/seeds", title="Seeds · Dream Pixel", on_load=[SeedsState.load, PublishState.load], nav="Seeds", nav_order=3)
def seeds() -> rx.Component:
    return rx.fragment(
        content(
            rx.vstack(
                page_heading("Seeds", "Reuse the exact prompt, settings and seed behind an image you love.",
                             _publish_button()),
                notice_text(PublishState.notice),
                featured_row(SeedsState.featured),
                rx.vstack(
                    category_tabs(SeedsState.category, SeedsState.choose_category),
                    toolbar(query=SeedsState.query, on_search=SeedsState.search, on_clear=SeedsState.clear_search,
                            sort=SeedsState.sort, on_sort=SeedsState.choose_sort),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(SeedsState.error != "", rx.callout(SeedsState.error, icon="triangle-alert", color_scheme="red",
                                                           role="alert", width="100%")),
                seed_grid(
                    SeedsState.cards,
                    loading=SeedsState.loading,
                    empty=empty_state(
                        icon="sprout",
                        title="No seeds here yet",
                        body=rx.cond(SeedsState.query != "", "Nothing matches your search. Try other words.",
                                     "Nobody has published a seed in this category yet."),
                    ),
                ),
                rx.cond(SeedsState.has_more,
                        rx.center(rx.button("Load more", on_click=SeedsState.load_more, loading=SeedsState.loading_more,
                                            variant="soft", size="3"), width="100%")),
                _my_seeds(),
                spacing="6",
                width="100%",
            ),
            padding_y=rx.breakpoints(initial="2rem", sm="3rem"),
        ),
        # For a dict field mypy picks the sequence overload of Reflex's Field.__get__ (an ArrayVar).
        publish_dialog(open_=PublishState.dialog_open, on_open_change=PublishState.set_dialog_open,
                       options=PublishState.options, chosen=PublishState.chosen, on_choose=PublishState.choose,
                       on_submit=PublishState.publish, errors=PublishState.errors,  # type: ignore[arg-type]
                       busy=PublishState.busy),
    )
