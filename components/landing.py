"""Sections of the landing page. Pure UI: every value comes in as an argument."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from components import theme
from components.buttons import link_button
from components.layout import content

# Buttons span the column on phones (Radix "sm" and Reflex "sm" are both 768px).
_FULL_ON_PHONES = rx.breakpoints(initial="100%", sm="auto")


@dataclass(frozen=True)
class Feature:
    icon: str
    title: str
    body: str


@dataclass(frozen=True)
class Tier:
    name: str
    allowance: str  # "100 generations / day"
    pitch: str
    points: tuple[str, ...]
    highlighted: bool = False


def hero(*, title: str, subtitle: str, primary: tuple[str, str | rx.Var[str]],
         secondary: tuple[str, str]) -> rx.Component:
    return rx.box(
        content(
            rx.flex(
                rx.vstack(
                    rx.badge(
                        rx.icon("zap", size=12),
                        "Live progress on every image",
                        variant="soft",
                        radius="full",
                        size="2",
                    ),
                    rx.heading(
                        title,
                        as_="h1",
                        size={"initial": "8", "sm": "9"},
                        weight="bold",
                        letter_spacing=theme.HEADING_TRACKING,
                        line_height="1.05",
                        color=theme.TEXT,
                    ),
                    rx.text(
                        subtitle,
                        size={"initial": "3", "sm": "4"},
                        color=theme.TEXT_MUTED,
                        max_width="34rem",
                        line_height="1.6",
                    ),
                    rx.flex(
                        link_button(
                            primary[0],
                            rx.icon("arrow-right", size=16),
                            href=primary[1],
                            size="4",
                            width=_FULL_ON_PHONES,
                        ),
                        link_button(
                            secondary[0],
                            href=secondary[1],
                            size="4",
                            variant="outline",
                            color_scheme="gray",
                            width=_FULL_ON_PHONES,
                        ),
                        spacing="3",
                        direction={"initial": "column", "sm": "row"},
                        width="100%",
                        padding_top="0.5rem",
                    ),
                    spacing="5",
                    align="start",
                    flex="1",
                    min_width="0",
                ),
                _hero_visual(),
                direction={"initial": "column", "md": "row"},
                align="center",
                gap="3rem",
            ),
            padding_top=rx.breakpoints(initial="3rem", sm="5rem"),
            padding_bottom=rx.breakpoints(initial="3rem", sm="5rem"),
        ),
        width="100%",
        background=rx.color_mode_cond(
            f"radial-gradient(60rem 30rem at 85% -10%, {rx.color('violet', 4)}, transparent 60%), "
            f"radial-gradient(40rem 24rem at -10% 10%, {rx.color('indigo', 3)}, transparent 60%)",
            f"radial-gradient(60rem 30rem at 85% -10%, {rx.color('violet', 3)}, transparent 60%), "
            f"radial-gradient(40rem 24rem at -10% 10%, {rx.color('indigo', 2)}, transparent 60%)",
        ),
    )


# Abstract artwork for the hero illustration: layered gradients, no image files.
_CANVASES = (
    "radial-gradient(circle at 30% 35%, #ffd6a5 0 14%, transparent 15%), linear-gradient(160deg, #5b3cc4 0%, #b14fc7 45%, #ff8a65 100%)",
    "radial-gradient(circle at 70% 30%, #e0f2fe 0 10%, transparent 11%), linear-gradient(200deg, #0f172a 0%, #1e3a8a 50%, #38bdf8 100%)",
    "linear-gradient(0deg, #14532d 0 28%, transparent 28%), radial-gradient(circle at 50% 45%, #fde68a 0 18%, transparent 19%), linear-gradient(180deg, #f472b6 0%, #fb923c 100%)",
    "conic-gradient(from 210deg at 50% 60%, #312e81, #7c3aed, #db2777, #f59e0b, #312e81)",
)


def _hero_visual() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.icon("wand-sparkles", size=16, color=theme.BRAND_TEXT),
                rx.text(
                    "a lighthouse in a violet storm, cinematic light",
                    size="2",
                    color=theme.TEXT,
                    white_space="nowrap",
                    overflow="hidden",
                    text_overflow="ellipsis",
                ),
                padding="0.625rem 0.875rem",
                border=f"1px solid {theme.BORDER}",
                border_radius="var(--radius-4)",
                background=theme.PAGE_BACKGROUND,
                width="100%",
                align="center",
                spacing="2",
            ),
            rx.grid(
                *[
                    rx.box(background=art, aspect_ratio="1", border_radius="var(--radius-4)", width="100%")
                    for art in _CANVASES
                ],
                columns="2",
                gap="0.75rem",
                width="100%",
            ),
            rx.vstack(
                rx.hstack(
                    rx.text("Rendering variation 4 of 4", size="1", color=theme.TEXT_MUTED),
                    rx.text("72%", size="1", weight="medium", color=theme.BRAND_TEXT),
                    justify="between",
                    width="100%",
                ),
                rx.box(
                    rx.box(
                        width="72%",
                        height="100%",
                        border_radius="999px",
                        background=theme.BRAND_GRADIENT,
                    ),
                    height="6px",
                    width="100%",
                    border_radius="999px",
                    background=rx.color(theme.GRAY, 4),
                    overflow="hidden",
                ),
                width="100%",
                spacing="2",
            ),
            spacing="3",
            width="100%",
        ),
        aria_hidden="true",
        width="100%",
        max_width="27rem",
        padding="1rem",
        border=f"1px solid {theme.BORDER}",
        border_radius="var(--radius-6)",
        background=theme.SURFACE,
        box_shadow=theme.SHADOW_CARD,
        flex_shrink="0",
    )


def section_heading(eyebrow: str, title: str, subtitle: str) -> rx.Component:
    return rx.vstack(
        rx.text(
            eyebrow,
            size="2",
            weight="bold",
            color=theme.BRAND_TEXT,
            text_transform="uppercase",
            letter_spacing="0.08em",
        ),
        rx.heading(
            title, as_="h2", size={"initial": "7", "sm": "8"}, letter_spacing=theme.HEADING_TRACKING, color=theme.TEXT
        ),
        rx.text(subtitle, size="3", color=theme.TEXT_MUTED, max_width="38rem"),
        spacing="3",
        align="center",
        text_align="center",
        width="100%",
        padding_bottom="2.5rem",
    )


def features_section(features: list[Feature]) -> rx.Component:
    return content(
        section_heading(
            "Why Dream Pixel",
            "Built for people who make a lot of images",
            "Watch each image take shape, keep working when a provider has a bad day, and build on what others share.",
        ),
        rx.grid(
            *[_feature_card(f) for f in features],
            columns={"initial": "1", "sm": "2", "md": "4"},
            gap="1rem",
            width="100%",
        ),
        padding_y=rx.breakpoints(initial="3.5rem", sm="5rem"),
        id="features",
    )


def _feature_card(feature: Feature) -> rx.Component:
    return rx.box(
        rx.center(
            rx.icon(feature.icon, size=20, color=theme.BRAND_TEXT),
            width="40px",
            height="40px",
            border_radius="var(--radius-4)",
            background=theme.BRAND_SOFT,
        ),
        rx.heading(feature.title, as_="h3", size="4", color=theme.TEXT, padding_top="1rem"),
        rx.text(feature.body, size="2", color=theme.TEXT_MUTED, padding_top="0.5rem", line_height="1.6"),
        padding="1.5rem",
        border=f"1px solid {theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.SURFACE,
        height="100%",
    )


def tiers_section(tiers: list[Tier], *, pricing_href: str) -> rx.Component:
    return rx.box(
        content(
            section_heading(
                "Plans",
                "Start free, grow when you need to",
                "Every plan gets the same models, live progress and the seeds marketplace. Plans differ in how much you create.",
            ),
            rx.grid(
                *[_tier_card(t, pricing_href=pricing_href) for t in tiers],
                columns={"initial": "1", "md": "3"},
                gap="1rem",
                width="100%",
                align_items="stretch",
            ),
            padding_y=rx.breakpoints(initial="3.5rem", sm="5rem"),
        ),
        width="100%",
        background=theme.SURFACE,
        border_top=f"1px solid {theme.BORDER}",
        id="plans",
    )


def _tier_card(tier: Tier, *, pricing_href: str) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(tier.name, as_="h3", size="3", letter_spacing="0.06em", color=theme.TEXT),
            rx.badge("Most popular", variant="solid", radius="full") if tier.highlighted else rx.fragment(),
            justify="between",
            align="center",
            width="100%",
        ),
        rx.text(
            tier.allowance,
            size="6",
            weight="bold",
            color=theme.TEXT,
            letter_spacing=theme.HEADING_TRACKING,
            min_height=theme.two_lines("6"),
        ),
        rx.text(tier.pitch, size="2", color=theme.TEXT_MUTED, min_height=theme.two_lines("2")),
        rx.separator(size="4", margin_y="0.5rem"),
        rx.vstack(
            *[
                rx.hstack(
                    rx.icon("check", size=16, color=theme.BRAND_TEXT, flex_shrink="0", margin_top="2px"),
                    rx.text(point, size="2", color=theme.TEXT),
                    spacing="2",
                    align="start",
                )
                for point in tier.points
            ],
            spacing="2",
            flex="1",
        ),
        rx.box(
            link_button(
                "See plan details",
                href=pricing_href,
                variant="solid" if tier.highlighted else "soft",
                size="3",
                width="100%",
            ),
            width="100%",
            padding_top="0.75rem",
        ),
        spacing="3",
        align="start",
        padding="1.75rem",
        border=f"1px solid {theme.BRAND_BORDER if tier.highlighted else theme.BORDER}",
        border_radius=theme.RADIUS_CARD,
        background=theme.PAGE_BACKGROUND,
        box_shadow=theme.SHADOW_CARD if tier.highlighted else "none",
        height="100%",
    )


def closing_cta(*, title: str, href: str | rx.Var[str], label: str) -> rx.Component:
    return content(
        rx.vstack(
            rx.heading(
                title,
                as_="h2",
                size={"initial": "6", "sm": "7"},
                color="white",
                letter_spacing=theme.HEADING_TRACKING,
                text_align="center",
            ),
            link_button(
                label,
                rx.icon("arrow-right", size=16),
                href=href,
                size="4",
                background="white",
                color=theme.ON_WHITE_BRAND_TEXT,
                _hover={"background": theme.ON_WHITE_HOVER},
            ),
            spacing="5",
            align="center",
            padding=rx.breakpoints(initial="2.5rem 1.5rem", sm="3.5rem"),
            border_radius="var(--radius-6)",
            background=theme.BRAND_GRADIENT,
        ),
        padding_y=rx.breakpoints(initial="3.5rem", sm="5rem"),
    )


def featured_seeds_section(row: rx.Component, *, on_mount: object) -> rx.Component:
    """The marketplace's featured seeds (images from the community), loaded when the section mounts."""
    return content(
        section_heading(
            "Seeds marketplace",
            "Start from something that already works",
            "Each seed carries the prompt, settings and seed number behind an image. Use one in a click.",
        ),
        row,
        rx.center(link_button("Browse all seeds", href="/seeds", variant="soft", size="3"), padding_top="1.5rem"),
        on_mount=on_mount,
        padding_y=rx.breakpoints(initial="3.5rem", sm="5rem"),
        id="seeds",
    )
