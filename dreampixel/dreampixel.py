"""The Reflex app: the REST API mounted under /api, and the pages. Nothing else."""

from __future__ import annotations

import reflex as rx

from components import theme
from dreampixel.api.app import create_api
from dreampixel.pages import gallery, generate, index, login, not_found, pricing, seeds
from dreampixel.runtime import jobs_lifespan

app = rx.App(
    api_transformer=create_api(),
    style=theme.GLOBAL_STYLE,
    stylesheets=theme.STYLESHEETS,
    html_lang="en",
    head_components=[rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png")],
)

app.register_lifespan_task(jobs_lifespan)

app.add_page(index.index, route="/", title=index.TITLE, description=index.DESCRIPTION)
app.add_page(generate.generate, route="/generate", title=generate.TITLE)
app.add_page(gallery.gallery, route="/gallery", title=gallery.TITLE)
app.add_page(seeds.seeds, route="/seeds", title=seeds.TITLE)
app.add_page(pricing.pricing, route="/pricing", title=pricing.TITLE)
app.add_page(login.login, route="/login", title=login.TITLE)
app.add_page(not_found.not_found, route="404", title=not_found.TITLE)
