"""Links that look like buttons: one <a> element, styled by Radix, routed client-side."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.react_router.dom import ReactRouterLink


def link_button(*children: rx.Component | str, href: str | rx.Var[str], **button_props) -> rx.Component:
    # as_child renders the router's <a> with the button's styling: no <button> nested in <a>.
    return rx.button(ReactRouterLink.create(*children, to=href), as_child=True, **button_props)
