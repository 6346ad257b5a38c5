"""Design tokens: the one place colours, spacing and type are decided.

Colours are Radix Themes CSS variables, so every token follows the light/dark appearance
the visitor picked; components use these names, never raw hex values.
"""

from __future__ import annotations

import reflex as rx

ACCENT = "violet"
GRAY = "mauve"

# --- colour ---------------------------------------------------------------------------
BRAND = rx.color(ACCENT, 9)
BRAND_HOVER = rx.color(ACCENT, 10)
BRAND_TEXT = rx.color(ACCENT, 11)
BRAND_SOFT = rx.color(ACCENT, 3)
BRAND_BORDER = rx.color(ACCENT, 6)
TEXT = rx.color(GRAY, 12)
TEXT_MUTED = rx.color(GRAY, 11)
SURFACE = rx.color(GRAY, 2)
BORDER = rx.color(GRAY, 5)
PAGE_BACKGROUND = rx.color(GRAY, 1)
# Text and hover on a white button laid over the brand gradient: fixed in both appearances.
ON_WHITE_BRAND_TEXT = "#5b3cc4"
ON_WHITE_HOVER = "#f3efff"
# The wordmark and hero gradient: violet into indigo, the brand's one flourish.
BRAND_GRADIENT = (
    f"linear-gradient(120deg, {rx.color('violet', 9)} 0%, {rx.color('indigo', 9)} 55%, {rx.color('iris', 10)} 100%)"
)

# --- spacing (Radix space scale steps, "1".."9") ---------------------------------------
SPACE_TIGHT = "2"
SPACE = "4"
SPACE_LOOSE = "6"
SECTION_SPACE = "9"
CONTENT_MAX_WIDTH = "1120px"
PAGE_PADDING_X = ["1.25rem", "1.5rem", "2rem"]

# --- typography -----------------------------------------------------------------------
FONT_SANS = (
    'Inter, "InterVariable", ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, '
    '"Helvetica Neue", Arial, "Noto Sans", sans-serif'
)
FONT_MONO = 'ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, monospace'
HEADING_TRACKING = "-0.02em"

# --- breakpoints ----------------------------------------------------------------------
# The navigation collapses into a menu below this width.
NAV_COLLAPSE = "@media (max-width: 639.98px)"
NAV_EXPAND = "@media (min-width: 640px)"


def two_lines(size: str) -> dict[str, str]:
    """Room for two lines of text at a Radix size from the width where cards sit side by side,
    so the same rows of neighbouring cards line up when one wraps and another does not."""
    return rx.breakpoints(initial="0", md=f"calc(2 * var(--line-height-{size}))")


# --- radii and elevation --------------------------------------------------------------
RADIUS_CARD = "var(--radius-5)"
SHADOW_CARD = "0 1px 2px rgba(16, 12, 40, 0.04), 0 8px 24px -12px rgba(16, 12, 40, 0.18)"


def radix_theme() -> rx.Component:
    """The app-wide Radix theme; appearance follows the colour-mode toggle (light/dark)."""
    return rx.theme(
        accent_color=ACCENT,
        gray_color=GRAY,
        radius="large",
        scaling="100%",
        panel_background="solid",
        has_background=True,
    )


GLOBAL_STYLE: dict = {
    "font_family": FONT_SANS,
    "-webkit-font-smoothing": "antialiased",
}
STYLESHEETS = ["/dreampixel.css"]
