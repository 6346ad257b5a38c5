"""`/`: the landing page."""

from __future__ import annotations

import reflex as rx

from components.landing import (
    Feature,
    Tier,
    closing_cta,
    featured_seeds_section,
    features_section,
    hero,
    tiers_section,
)
from components.seeds import featured_row
from dreampixel.core.settings import settings
from dreampixel.pages.shell import page
from states.seeds import SeedsState
from states.session import SessionState

# A visitor without an account starts by making one; a signed-in one goes straight to work.
START = rx.cond(SessionState.signed_in, "/generate", "/signup")
DESCRIPTION = "Type a prompt, watch the image appear live, keep a gallery and share seeds with the community."

FEATURES = [
    Feature(
        "activity",
        "Live progress",
        "See every generation move from queued to finished as it happens. No refreshing, no guessing.",
    ),
    Feature(
        "shuffle",
        "Several providers, one result",
        "Gemini, Stability AI and Replicate behind one prompt box. If one fails, the next takes over.",
    ),
    Feature(
        "sprout",
        "Seeds marketplace",
        "Reuse the exact prompt, settings and seed behind an image you love, or share your own.",
    ),
    Feature(
        "code-xml",
        "Developer API",
        "A REST API with scoped keys and idempotent requests, on every plan.",
    ),
]


def _allowance(tier: str) -> str:
    limit, window = settings.generation_limit(tier)
    unit = "generation" if limit == 1 else "generations"
    if window == 86_400:
        return f"{limit:,} {unit} / day"
    hours = window / 3600
    return f"{limit:,} {unit} / {hours:g} h"


def _tiers() -> list[Tier]:
    return [
        Tier(
            "FREE",
            _allowance("free"),
            "Try it out, no card needed.",
            ("Every model and provider", "Live progress", "Public gallery and seeds"),
        ),
        Tier(
            "PRO",
            _allowance("pro"),
            "For people who create every day.",
            ("Everything in Free", f"{settings.credit_allowance('PRO'):,} credits a month", "Higher API rate limits"),
            highlighted=True,
        ),
        Tier(
            "ENTERPRISE",
            _allowance("enterprise"),
            "For teams and products built on images.",
            ("Everything in Pro", f"{settings.credit_allowance('ENTERPRISE'):,} credits a month",
             "The highest API rate limits"),
        ),
    ]


@page(route="/", title="Dream Pixel: turn words into images", description=DESCRIPTION)
def index() -> rx.Component:
    return rx.fragment(
        hero(
            title="Turn words into images",
            subtitle=(
                "Describe what you see in your head. Dream Pixel renders it in seconds, shows you "
                "every step, and keeps your best work, settings and seeds in one place."
            ),
            primary=("Start creating", START),
            secondary=("Browse seeds", "/seeds"),
        ),
        features_section(FEATURES),
        featured_seeds_section(featured_row(SeedsState.featured, title="Featured seeds"),
                               on_mount=SeedsState.load_featured),
        tiers_section(_tiers(), pricing_href="/pricing"),
        closing_cta(title="Your next image is one sentence away", href=START, label="Start creating"),
    )
