"""`/generate`: the form on the left, the live cards on the right (stacked on phones)."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.generate import (
    drop_zone,
    label,
    labelled,
    large_image_dialog,
    no_cards_yet,
    number_field,
    select_field,
    side_panel,
)
from components.generation_card import generation_card
from components.layout import content
from components.usage import usage_warning_banner
from dreampixel.pages.shell import page
from states.generate import AUTOMATIC, GenerateState

SIZE_OPTIONS = [("square", "Square 1024 x 1024"), ("portrait", "Portrait 832 x 1216"),
                ("landscape", "Landscape 1216 x 832"), ("custom", "Custom")]
IMAGE_TYPES = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"]}


def _verify_banner() -> rx.Component:
    return rx.cond(
        ~GenerateState.verified,
        rx.callout.root(
            rx.callout.icon(rx.icon("mail-warning")),
            rx.callout.text("Verify your email to start generating: open the link we sent you. ",
                            rx.link("Send a new link", href="/account")),
            color_scheme="amber",
            role="alert",
            width="100%",
        ),
    )


def _blocked_reason() -> rx.Component:
    """Why Generate is disabled, and the one action that helps when this installation offers it."""
    return rx.cond(
        GenerateState.reason != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-slash")),
            rx.callout.text(GenerateState.reason, " ",
                            rx.cond(GenerateState.action_link != "",
                                    rx.link(GenerateState.action_label, href=GenerateState.action_link,
                                            weight="medium"))),
            id="generate-blocked",
            color_scheme="amber",
            role="status",
            size="1",
            width="100%",
        ),
    )


def _seed_row() -> rx.Component:
    return rx.vstack(
        label("Seed", "seed"),
        rx.hstack(
            rx.input(id="seed", name="seed", value=GenerateState.seed, on_change=GenerateState.set_seed,
                     placeholder="Random", input_mode="numeric", flex="1", min_width="0"),
            rx.tooltip(
                rx.icon_button(rx.cond(GenerateState.seed_locked, rx.icon("lock", size=16),
                                       rx.icon("lock-open", size=16)),
                               type="button", variant=rx.cond(GenerateState.seed_locked, "solid", "soft"),
                               aria_label="Lock seed", aria_pressed=GenerateState.seed_locked,
                               on_click=GenerateState.set_seed_locked(~GenerateState.seed_locked)),
                content="Locked: every run uses this seed. Unlocked: a new random seed each run.",
            ),
            rx.icon_button(rx.icon("copy", size=16), type="button", variant="soft", aria_label="Copy seed",
                           on_click=rx.set_clipboard(GenerateState.seed)),
            spacing="2",
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def _provider_picker() -> rx.Component:
    return rx.vstack(
        labelled("Provider", "provider", rx.select.root(
            rx.select.trigger(id="provider", width="100%", aria_label="Provider"),
            rx.select.content(
                rx.select.item("Automatic (best available)", value=AUTOMATIC),
                rx.foreach(GenerateState.providers,
                           lambda p: rx.select.item(p.label, value=p.name, disabled=~p.configured)),
            ),
            value=GenerateState.provider,
            on_change=GenerateState.set_provider,
        )),
        rx.flex(
            rx.foreach(GenerateState.providers, lambda p: rx.badge(
                p.name, color_scheme=rx.cond(p.healthy, "green", rx.cond(p.configured, "red", "gray")),
                variant="soft", title=p.label)),
            gap="0.25rem",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def _seed_source() -> rx.Component:
    """Which marketplace seed filled the form in, a link back to it, and a way to start afresh."""
    return rx.cond(GenerateState.seed_title != "", rx.callout.root(
        rx.callout.icon(rx.icon("sprout")),
        rx.callout.text(
            "Filled in from the seed ",
            rx.link(GenerateState.seed_title, href="/seeds/" + GenerateState.seed_listing_id, weight="medium"),
            rx.cond(GenerateState.seed_provider != "", rx.fragment(" · made with ", GenerateState.seed_provider), ""),
            rx.cond(GenerateState.seed_provider_missing,
                    " (not set up here: Automatic picks another provider)", ""),
            ".",
        ),
        rx.button(rx.icon("x", size=14), "Clear", type="button", size="1", variant="soft", color_scheme="gray",
                  on_click=GenerateState.clear_seed, aria_label="Clear the seed's settings", width="fit-content",
                  justify_self="start"),
        size="1", variant="surface", width="100%", role="status", aria_label="Seed source",
    ))


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _seed_source(),
            labelled("Prompt", "prompt", rx.text_area(
                id="prompt", name="prompt", default_value=GenerateState.prompt, key=GenerateState.form_version,
                placeholder="A lighthouse on a cliff at dusk, oil painting", rows="4", resize="vertical",
                width="100%", on_key_down=GenerateState.prompt_key, required=True,
            )),
            labelled("Negative prompt", "negative_prompt", rx.text_area(
                id="negative_prompt", name="negative_prompt", default_value=GenerateState.negative_prompt,
                key=GenerateState.form_version, placeholder="What to leave out", rows="2", width="100%",
            )),
            _seed_row(),
            select_field("Size", "size", options=SIZE_OPTIONS, value=GenerateState.size,
                         on_change=GenerateState.set_size),
            rx.cond(
                GenerateState.size == "custom",
                rx.grid(
                    number_field("Width", "width", value=GenerateState.width, on_change=GenerateState.set_width,
                                 min="64", max="2048", step="8"),
                    number_field("Height", "height", value=GenerateState.height,
                                 on_change=GenerateState.set_height, min="64", max="2048", step="8"),
                    columns="2", gap="0.75rem", width="100%",
                ),
            ),
            rx.grid(
                number_field("Steps", "steps", value=GenerateState.steps, on_change=GenerateState.set_steps,
                             min="1", max="150"),
                number_field("Guidance", "guidance", value=GenerateState.guidance,
                             on_change=GenerateState.set_guidance, min="0", max="30", step="0.5"),
                columns="2", gap="0.75rem", width="100%",
            ),
            rx.grid(
                select_field("Variations", "variations", options=[(str(n), str(n)) for n in range(1, 5)],
                             value=GenerateState.variations, on_change=GenerateState.set_variations),
                select_field("Format", "output_format", options=[("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WebP")],
                             value=GenerateState.output_format, on_change=GenerateState.set_output_format),
                columns="2", gap="0.75rem", width="100%",
            ),
            _provider_picker(),
            rx.cond(GenerateState.reference_thumbnail != "", rx.hstack(
                rx.image(src=GenerateState.reference_thumbnail, alt="Reference image", width="48px", height="48px",
                         object_fit="cover", border_radius="var(--radius-2)"),
                rx.text("Reference image attached", size="2", color=theme.TEXT),
                rx.button("Remove", type="button", size="1", variant="ghost", on_click=GenerateState.clear_reference),
                spacing="3", align="center",
            )),
            rx.cond(GenerateState.error != "", rx.callout.root(
                rx.callout.text(GenerateState.error, " ", GenerateState.error_hint, " ",
                                rx.cond(GenerateState.error_link != "",
                                        rx.link("See plans", href=GenerateState.error_link))),
                color_scheme="red", role="alert", size="1", width="100%",
            )),
            rx.flex(
                rx.text("Costs ", rx.text.strong(GenerateState.cost), " credit",
                        rx.cond(GenerateState.cost != 1, "s", ""), " · ", GenerateState.credits, " left",
                        size="2", color=theme.TEXT_MUTED, aria_live="polite"),
                rx.button(rx.icon("wand-sparkles", size=16), "Generate", type="submit", size="3",
                          loading=GenerateState.busy, disabled=GenerateState.reason != "",
                          aria_describedby=rx.cond(GenerateState.reason != "", "generate-blocked", "")),
                justify="between", align="center", wrap="wrap", gap="0.5rem", width="100%",
            ),
            _blocked_reason(),
            rx.text(GenerateState.limit_text, size="1", color=theme.TEXT_MUTED),
            rx.text("Ctrl+Enter generates from the prompt box.", size="1", color=theme.TEXT_MUTED),
            spacing="3",
            width="100%",
        ),
        id="generate-form",
        on_submit=GenerateState.submit,
        reset_on_submit=False,
        aria_label="Generate",
        width="100%",
    )


def _extras() -> rx.Component:
    return rx.vstack(
        side_panel(
            drop_zone(upload_id="reference", on_drop=GenerateState.upload_reference, accept=IMAGE_TYPES,
                      title="Drop or choose an image", body="A PNG, JPEG or WebP for the new image to follow.",
                      busy=GenerateState.reference_busy),
            rx.form(
                rx.hstack(
                    rx.input(name="reference_url", placeholder="https://example.com/image.png", type="url",
                             aria_label="Reference image URL", flex="1", min_width="0"),
                    rx.button("Use URL", type="submit", variant="soft"),
                    spacing="2", width="100%",
                ),
                on_submit=GenerateState.reference_from_url,
                reset_on_submit=True,
                width="100%",
            ),
            rx.cond(GenerateState.reference_error != "",
                    rx.text(GenerateState.reference_error, size="2", color=rx.color("red", 11), role="alert")),
            heading="Reference image",
        ),
        side_panel(
            drop_zone(upload_id="restore", on_drop=GenerateState.restore_from_png, accept={"image/png": [".png"]},
                      title="Drop or choose a PNG",
                      body="One made by Dream Pixel (or AUTOMATIC1111) brings back its prompt and settings."),
            heading="Restore settings",
        ),
        spacing="4",
        width="100%",
    )


def _cards() -> rx.Component:
    return rx.el.section(
        rx.vstack(
            rx.heading("Your generations", as_="h2", size="4", color=theme.TEXT),
            rx.cond(
                GenerateState.cards.length() > 0,
                rx.grid(
                    rx.foreach(GenerateState.cards, lambda card: generation_card(
                        card, on_cancel=GenerateState.cancel, on_retry=GenerateState.retry,
                        on_open=GenerateState.open_large, on_reuse=GenerateState.reuse,
                        on_remix=GenerateState.remix, on_favorite=GenerateState.toggle_favorite)),
                    columns={"initial": "1", "md": "2"},
                    gap="1rem",
                    width="100%",
                ),
                no_cards_yet(),
            ),
            spacing="3",
            width="100%",
        ),
        aria_label="Your generations",
        style={"min_width": "0", "width": "100%"},
    )


@page(route="/generate", title="Generate · Dream Pixel", on_load=GenerateState.load, nav="Generate", nav_order=1)
def generate() -> rx.Component:
    return content(
        rx.vstack(
            rx.heading("Generate", as_="h1", size={"initial": "7", "sm": "8"}, color=theme.TEXT,
                       letter_spacing=theme.HEADING_TRACKING),
            rx.cond(GenerateState.notice != "", rx.text(GenerateState.notice, size="2", color=theme.TEXT_MUTED)),
            rx.cond(
                GenerateState.ready,
                rx.vstack(
                    rx.cond(GenerateState.welcome != "", rx.callout.root(
                        rx.callout.icon(rx.icon("party-popper")),
                        rx.callout.text(GenerateState.welcome),
                        color_scheme="green", role="status", width="100%",
                    )),
                    _verify_banner(),
                    # The block beside the button says the same; one place is enough.
                    rx.cond(GenerateState.blocked == "", usage_warning_banner(GenerateState.usage_warning)),
                    # On phones the cards come straight after the form, so a submit is seen
                    # to start; the reference and restore panels follow them.
                    rx.grid(
                        rx.box(side_panel(_form(), heading="Settings"), grid_area="settings", min_width="0"),
                        rx.box(_cards(), grid_area="cards", min_width="0"),
                        rx.box(_extras(), grid_area="extras", min_width="0"),
                        grid_template_columns=rx.breakpoints(initial="minmax(0, 1fr)",
                                                             md="minmax(320px, 400px) minmax(0, 1fr)"),
                        grid_template_areas=rx.breakpoints(initial='"settings" "cards" "extras"',
                                                           md='"settings cards" "extras cards"'),
                        grid_template_rows=rx.breakpoints(initial="auto", md="auto 1fr"),
                        gap="1.5rem",
                        width="100%",
                        align_items="start",
                    ),
                    spacing="4",
                    width="100%",
                ),
                rx.hstack(rx.spinner(size="3"), rx.text("Loading…", color=theme.TEXT_MUTED),
                          spacing="3", align="center", role="status", padding_y="2rem"),
            ),
            large_image_dialog(url=GenerateState.large_image, open_=GenerateState.large_open,
                               on_open_change=GenerateState.set_large_open),
            spacing="4",
            width="100%",
        ),
        padding_y=rx.breakpoints(initial="1.5rem", sm="2.5rem"),
    )
