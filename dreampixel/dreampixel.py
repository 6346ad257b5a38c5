"""The Reflex app: the REST API mounted under /api, and the pages. Nothing else."""

from __future__ import annotations

import reflex as rx

from components import theme
from components.layout import use_account_controls
from dreampixel.api.app import create_api
from dreampixel.pages import (
    account,
    billing,
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
from dreampixel.runtime import jobs_lifespan
from states.account import AccountState
from states.auth import AuthState
from states.generate import GenerateState

app = rx.App(
    api_transformer=create_api(),
    style=theme.GLOBAL_STYLE,
    stylesheets=theme.STYLESHEETS,
    html_lang="en",
    head_components=[rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png")],
)

app.register_lifespan_task(jobs_lifespan)

# The navigation bar shows the signed-in user's name and menu (components cannot import states).
use_account_controls(desktop=account.nav_desktop, mobile=account.nav_mobile)

app.add_page(index.index, route="/", title=index.TITLE, description=index.DESCRIPTION)
app.add_page(generate.generate, route="/generate", title=generate.TITLE, on_load=GenerateState.load)
app.add_page(gallery.gallery, route="/gallery", title=gallery.TITLE)
app.add_page(seeds.seeds, route="/seeds", title=seeds.TITLE, on_load=seeds.ON_LOAD)
app.add_page(seed_detail.seed_detail, route="/seeds/[seed_id]", title=seed_detail.TITLE, on_load=seed_detail.ON_LOAD)
app.add_page(pricing.pricing, route="/pricing", title=pricing.TITLE)
app.add_page(billing.billing, route="/billing", title=billing.TITLE, on_load=billing.ON_LOAD)
app.add_page(login.login, route="/login", title=login.TITLE, on_load=AuthState.load_form)
app.add_page(signup.signup, route="/signup", title=signup.TITLE, on_load=AuthState.load_form)
app.add_page(forgot.forgot, route="/forgot", title=forgot.TITLE, on_load=AuthState.load_form)
app.add_page(reset.reset, route="/reset", title=reset.TITLE, on_load=AuthState.load_reset)
app.add_page(verify.verify, route="/verify", title=verify.TITLE, on_load=AuthState.load_verify)
app.add_page(account.account, route="/account", title=account.TITLE, on_load=AccountState.load)
app.add_page(not_found.not_found, route="404", title=not_found.TITLE)
