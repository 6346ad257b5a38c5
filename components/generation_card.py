"""One generation's live card: status, queue, elapsed time, provider, images and actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import reflex as rx
from reflex.vars import ArrayVar, BooleanVar, NumberVar, StringVar

from components import theme

Handler = Callable[..., Any]


class ImageVar(Protocol):
    """One image of a card, as the var `rx.foreach` hands over: the fields read here."""

    id: StringVar
    url: StringVar
    medium_url: StringVar
    seed: StringVar


class CardVar(Protocol):
    """One generation's card, as the var `rx.foreach` hands over: the fields read here."""

    id: StringVar
    status: StringVar
    status_label: StringVar
    active: BooleanVar
    retryable: BooleanVar
    prompt: StringVar
    seed: StringVar
    width: NumberVar[int]
    height: NumberVar[int]
    cost: StringVar
    provider_requested: StringVar
    provider_used: StringVar
    attempts: StringVar
    queue_position: NumberVar[int]
    estimated_start: StringVar
    started_at: StringVar
    error_message: StringVar
    error_hint: StringVar
    error_link_label: StringVar
    error_link: StringVar
    favorite: BooleanVar
    images: ArrayVar[Sequence[Any]]

# Who made the images, in the owner's words; `local` is the offline procedural generator.
PROVIDER_LABELS = {"local": "the offline procedural generator (local)", "stability": "Stability AI",
                   "replicate": "Replicate", "gemini": "Google Gemini"}

STATUS_COLORS = {"queued": "gray", "processing": "violet", "succeeded": "green", "failed": "red",
                 "canceled": "gray", "expired": "amber"}


def _status_badge(card: CardVar) -> rx.Component:
    return rx.badge(
        rx.cond(card.active, rx.spinner(size="1"), rx.fragment()),
        card.status_label,
        color_scheme=rx.match(card.status, *STATUS_COLORS.items(), "gray"),
        variant="soft",
        size="2",
    )


# The relative times are whole phrases made by react-moment's filters, so until the moment
# component has loaded (or when it renders nothing) the card reads "#1 in the queue" or
# "Generating", never "starts " or "for  s" with a gap. A start that is due reads "any moment now".
STARTS = ('((text) => !text ? "" : " · starts " + '
          '(String(text).endsWith(" ago") ? "any moment now" : String(text)))')
# Seconds since the start, never negative when the browser's clock runs behind the server's.
ELAPSED = '((text) => " for " + String(Math.max(0, parseInt(text, 10) || 0)) + " s")'


def _queued(card: CardVar) -> rx.Component:
    place = rx.cond(card.queue_position > 0, rx.fragment("#", card.queue_position, " in the queue"), "Waiting")
    return rx.text(
        place,
        rx.cond(
            card.estimated_start != "",
            rx.moment(card.estimated_start, from_now=True, interval=1000, filters=[rx.Var(_js_expr=STARTS)]),
            " · starts shortly",
        ),
        size="2", color=theme.TEXT_MUTED,
    )


def _processing(card: CardVar) -> rx.Component:
    return rx.text(
        "Generating",
        rx.cond(
            card.started_at != "",
            rx.moment(diff=card.started_at, unit="seconds", interval=1000, filters=[rx.Var(_js_expr=ELAPSED)]),
            "…",
        ),
        size="2", color=theme.TEXT_MUTED,
    )


def _progress(card: CardVar) -> rx.Component:
    return rx.match(card.status, ("queued", _queued(card)), ("processing", _processing(card)), rx.fragment())


DOWNLOAD_FORMATS = (("png", "PNG, with its settings"), ("jpeg", "JPEG"), ("webp", "WebP"))


def _download_menu(image: ImageVar) -> rx.Component:
    """Download in each format; the server converts from the stored original."""
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(rx.icon("download", size=14), "Download", rx.icon("chevron-down", size=12), size="1",
                      variant="soft"),
        ),
        rx.dropdown_menu.content(
            *[
                # rx.download, not a link: the app's router would take /api/... for one of its pages.
                rx.dropdown_menu.item(
                    label, on_click=rx.download(url="/api/gallery/images/" + image.id + "/download?format=" + fmt,
                                                filename=""),
                )
                for fmt, label in DOWNLOAD_FORMATS
            ],
            size="1",
        ),
    )


def _image_tile(card: CardVar, image: ImageVar, *, on_open: Handler, on_reuse: Handler, on_remix: Handler,
                on_favorite: Handler) -> rx.Component:
    return rx.vstack(
        rx.el.button(
            rx.image(src=image.medium_url, alt="Generated image: " + card.prompt, width="100%", height="auto",
                     border_radius="var(--radius-3)", display="block",
                     # Eager: the newest card is at the top, in view; lazy loading only adds a
                     # layout pass before the request starts.
                     loading="eager"),
            on_click=on_open(image.url),
            aria_label="Open large",
            style={"padding": "0", "border": "none", "background": "none", "cursor": "zoom-in", "width": "100%"},
        ),
        rx.flex(
            _download_menu(image),
            rx.button(rx.icon("rotate-ccw", size=14), "Reuse settings", size="1", variant="soft",
                      on_click=on_reuse(card.id, image.seed)),
            rx.button(rx.icon("shuffle", size=14), "Remix", size="1", variant="soft", on_click=on_remix(card.id)),
            rx.icon_button(
                rx.icon("star", size=14, fill=rx.cond(card.favorite, "currentColor", "none")),
                size="1",
                variant=rx.cond(card.favorite, "solid", "soft"),
                color_scheme="amber",
                aria_label="Favourite",
                aria_pressed=rx.cond(card.favorite, "true", "false"),
                title=rx.cond(card.favorite, "Remove from favourites", "Add to favourites"),
                on_click=on_favorite(card.id),
            ),
            rx.button(rx.el.a(rx.icon("upload", size=14), "Publish as seed", href="/seeds?publish=" + card.id),
                      as_child=True, size="1", variant="soft"),
            gap="0.375rem",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _made_by(card: CardVar) -> rx.Component:
    """Which provider delivered, and that it stood in when the one asked for failed."""
    return rx.cond(
        card.provider_used != "",
        rx.text(
            "Made by ", rx.text.strong(rx.match(card.provider_used, *PROVIDER_LABELS.items(), card.provider_used)),
            rx.cond((card.provider_requested != "") & (card.provider_requested != card.provider_used),
                    rx.text.span(" (", card.provider_requested, " was unavailable)"), rx.fragment()),
            size="1", color=theme.TEXT_MUTED, data_testid="generation-provider",
        ),
    )


def generation_card(card: CardVar, *, on_cancel: Handler, on_retry: Handler, on_open: Handler, on_reuse: Handler,
                    on_remix: Handler, on_favorite: Handler) -> rx.Component:
    return rx.el.article(
        rx.vstack(
            rx.flex(
                _status_badge(card),
                rx.text(card.width, " x ", card.height, " · seed ", card.seed, " · ", card.cost, size="1",
                        color=theme.TEXT_MUTED),
                justify="between",
                align="center",
                wrap="wrap",
                gap="0.5rem",
                width="100%",
            ),
            rx.text(card.prompt, size="2", color=theme.TEXT, weight="medium", style={"overflow_wrap": "anywhere"}),
            _progress(card),
            _made_by(card),
            rx.cond(card.attempts != "", rx.text("Attempts: ", card.attempts, size="1", color=theme.TEXT_MUTED)),
            rx.cond(
                card.error_message != "",
                rx.callout.root(
                    rx.callout.text(
                        card.error_message, " ", card.error_hint, " ",
                        rx.cond(card.error_link != "", rx.link(card.error_link_label, href=card.error_link)),
                    ),
                    color_scheme=rx.cond(card.status == "canceled", "gray", "red"),
                    size="1",
                    role="alert",
                    width="100%",
                ),
            ),
            rx.cond(
                card.images.length() > 0,
                rx.grid(
                    rx.foreach(card.images, lambda image: _image_tile(card, image, on_open=on_open,
                                                                      on_reuse=on_reuse, on_remix=on_remix,
                                                                      on_favorite=on_favorite)),
                    columns=rx.cond(card.images.length() > 1, "2", "1"),
                    gap="0.75rem",
                    width="100%",
                ),
            ),
            rx.hstack(
                rx.cond(card.active, rx.button("Cancel", size="1", variant="outline", color_scheme="gray",
                                               on_click=on_cancel(card.id))),
                rx.cond(card.retryable, rx.button(rx.icon("refresh-cw", size=14), "Retry", size="1",
                                                  variant="outline", on_click=on_retry(card.id))),
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        aria_label="Generation: " + card.prompt,
        data_status=card.status,
        style={
            "padding": "1rem",
            "border": f"1px solid {theme.BORDER}",
            "border_radius": theme.RADIUS_CARD,
            "background": theme.SURFACE,
            "box_shadow": theme.SHADOW_CARD,
            "min_width": "0",
        },
    )
