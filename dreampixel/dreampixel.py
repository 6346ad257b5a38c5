"""The Reflex app: the REST API mounted under /api, and the pages. Nothing else."""

from __future__ import annotations

import reflex as rx

import dreampixel.pages.admin.analytics
import dreampixel.pages.admin.audit
import dreampixel.pages.admin.dashboard
import dreampixel.pages.admin.generations
import dreampixel.pages.admin.moderation
import dreampixel.pages.admin.system
import dreampixel.pages.admin.users  # noqa: F401 (the admin console registers its pages)
from components import theme
from dreampixel.api.app import create_api
from dreampixel.pages import (  # noqa: F401 (importing a page module registers its page)
    account,
    billing,
    developers,
    forgot,
    gallery,
    generate,
    index,
    login,
    not_found,
    pricing,
    reset,
    seed_detail,
    seeds,
    signup,
    verify,
)
from dreampixel.pages.shell import PAGES
from dreampixel.runtime import jobs_lifespan

app = rx.App(
    api_transformer=create_api(),
    style=theme.GLOBAL_STYLE,
    stylesheets=theme.STYLESHEETS,
    html_lang="en",
    head_components=[rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png")],
)

app.register_lifespan_task(jobs_lifespan)

for page in PAGES:
    app.add_page(page.render, route=page.route, title=page.title, description=page.description,
                 on_load=page.on_load)
