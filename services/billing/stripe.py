"""The adapter to Stripe: one client configured from settings, and the few calls billing makes.

Every call answers plain dicts in Stripe's documented shapes (API version pinned by the
`stripe` library), so the rest of billing reads `obj["status"]` and never a library type.
STRIPE_API_BASE points the client at another server (tests use a local fake).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import stripe as stripe_sdk

from dreampixel.core.errors import DreamPixelError
from dreampixel.core.settings import settings


class BillingNotConfigured(DreamPixelError):
    status_code = 503
    code = "billing_not_configured"
    title = "Billing is not set up"


class InvalidSignature(DreamPixelError):
    status_code = 400
    code = "invalid_signature"
    title = "Invalid signature"


class StripeUnavailable(DreamPixelError):
    status_code = 502
    code = "stripe_unavailable"
    title = "Stripe is unavailable"


@cache
def client() -> stripe_sdk.StripeClient:
    """The shared client; refuses when billing is not configured."""
    if not settings.stripe_enabled:
        raise BillingNotConfigured("Billing is not set up on this installation.")
    base = settings.stripe_api_base.rstrip("/")
    addresses: Any = {"api": base, "files": base, "connect": base, "meter_events": base} if base else None
    return stripe_sdk.StripeClient(settings.stripe_secret_key.get_secret_value(), base_addresses=addresses,
                                   max_network_retries=2)


def reset_client() -> None:
    """Forget the client (tests that change settings call this)."""
    client.cache_clear()


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _call(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return _plain(fn(*args, **kwargs))
    except stripe_sdk.APIConnectionError as exc:
        raise StripeUnavailable("Stripe could not be reached; try again in a moment.") from exc


def create_customer(*, user_id: str, email: str, name: str | None) -> dict[str, Any]:
    """A customer for `user_id`; the idempotency key makes two racing first checkouts share it."""
    params: Any = {"email": email, "metadata": {"user_id": user_id}}
    if name:
        params["name"] = name
    return _call(client().v1.customers.create, params, {"idempotency_key": f"customer-{user_id}"})


def create_checkout_session(*, customer_id: str, user_id: str, price_id: str, subscription: bool,
                            success_url: str, cancel_url: str) -> dict[str, Any]:
    """A hosted Checkout for one price: a subscription for plans, a one-off payment for packs."""
    params: Any = {
        "mode": "subscription" if subscription else "payment",
        "customer": customer_id,
        "client_reference_id": user_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {"user_id": user_id},
    }
    return _call(client().v1.checkout.sessions.create, params)


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    return _call(client().v1.checkout.sessions.retrieve, session_id, {"expand": ["line_items"]})


def create_portal_session(*, customer_id: str, return_url: str) -> dict[str, Any]:
    return _call(client().v1.billing_portal.sessions.create, {"customer": customer_id, "return_url": return_url})


def retrieve_subscription(subscription_id: str) -> dict[str, Any]:
    return _call(client().v1.subscriptions.retrieve, subscription_id)


def retrieve_invoice(invoice_id: str) -> dict[str, Any]:
    return _call(client().v1.invoices.retrieve, invoice_id)


def verify_event(payload: bytes, signature: str | None) -> None:
    """Check Stripe's `Stripe-Signature` header over the raw body; raises InvalidSignature."""
    secret = settings.stripe_webhook_secret.get_secret_value()
    if not secret:
        raise BillingNotConfigured("Billing is not set up on this installation.")
    try:
        stripe_sdk.WebhookSignature.verify_header(payload.decode("utf-8"), signature, secret,
                                                  tolerance=settings.stripe_webhook_tolerance_seconds)
    except (stripe_sdk.SignatureVerificationError, UnicodeDecodeError) as exc:
        raise InvalidSignature("The Stripe-Signature header does not match this payload.") from exc


# --- reading Stripe's shapes --------------------------------------------------------------------


def subscription_price(subscription: dict[str, Any]) -> str | None:
    items = (subscription.get("items") or {}).get("data") or []
    return items[0]["price"]["id"] if items else None


def subscription_period_end(subscription: dict[str, Any]) -> int | None:
    """Since API 2025-03-31 the period lives on the items; older versions kept it on the subscription."""
    items = (subscription.get("items") or {}).get("data") or []
    if items and items[0].get("current_period_end"):
        return int(items[0]["current_period_end"])
    end = subscription.get("current_period_end")
    return int(end) if end else None


def invoice_subscription(invoice: dict[str, Any]) -> str | None:
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    found = details.get("subscription") or invoice.get("subscription")
    return found if isinstance(found, str) else (found or {}).get("id")


def invoice_lines(invoice: dict[str, Any]) -> list[tuple[str | None, int, int]]:
    """(price id, period start, period end) of each line, whichever API version shaped it."""
    lines = []
    for line in (invoice.get("lines") or {}).get("data") or []:
        price = (((line.get("pricing") or {}).get("price_details") or {}).get("price")
                 or (line.get("price") or {}).get("id"))
        period = line.get("period") or {}
        lines.append((price, int(period.get("start") or 0), int(period.get("end") or 0)))
    return lines


def checkout_prices(checkout: dict[str, Any]) -> list[str]:
    return [item["price"]["id"] for item in (checkout.get("line_items") or {}).get("data") or []]
