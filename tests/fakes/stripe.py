"""A fake Stripe API: customers, Checkout, the Customer Portal, subscriptions and invoices.

It answers the calls the app makes (form-encoded bodies, `Authorization: Bearer sk_...`) in
Stripe's documented shapes (API 2025-03-31 and later: periods on subscription items, the
invoice's subscription under `parent.subscription_details`, prices under `pricing`), keeps the
objects as Stripe would, and records every change as a Stripe event. Tests move the world the
way a customer and Stripe's billing engine would:

    session = fake.checkout_sessions[cs_id]; events = fake.complete_checkout(cs_id)
    fake.fail_payment(sub_id); fake.pay_open_invoice(sub_id); fake.renew(sub_id)
    fake.cancel_at_period_end(sub_id); fake.end_period(sub_id); fake.change_price(sub_id, price)

each returning the events Stripe would send, which `sign()` turns into signed deliveries.
`GET /checkout/{id}` is a hosted checkout page whose Pay button completes the session,
delivers the events to `webhook_url` and redirects to the session's success URL.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import html
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Received

STRIPE_KEY = "sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_fake_0f9e8d7c6b5a"
PRICE_PRO_MONTHLY = "price_pro_monthly"
PRICE_PRO_YEARLY = "price_pro_yearly"
PRICE_ENTERPRISE = "price_enterprise"
PRICE_PACK_SMALL = "price_pack_small"
PRICES = {  # price id -> (unit amount in cents, interval or None for one-off)
    PRICE_PRO_MONTHLY: (1900, "month"),
    PRICE_PRO_YEARLY: (19000, "year"),
    PRICE_ENTERPRISE: (9900, "month"),
    PRICE_PACK_SMALL: (900, None),
}
DAY = 86_400
# The smallest well-formed PDF: what the app copies into the invoices bucket.
INVOICE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`line_items[0][price]=x`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            container: Any = [] if following is not None and following.isdigit() else {}
            if following is None:
                if isinstance(node, list):
                    node.append(value)
                else:
                    node[part] = value
                break
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(container)
                node = node[index]
            else:
                node = node.setdefault(part, container)
    return root


def _error(status: int, message: str, code: str = "resource_missing", kind: str = "invalid_request_error") -> Response:
    return JSONResponse({"error": {"type": kind, "code": code, "message": message}}, status_code=status)


class FakeStripe(FakeProvider):
    api_key = STRIPE_KEY

    def __init__(self) -> None:
        super().__init__()
        self.webhook_url = ""
        self.webhook_secret = WEBHOOK_SECRET
        # Seconds the hosted checkout waits, after sending the customer back, before delivering.
        self.delivery_delay = 0.0
        self._deliveries: set[asyncio.Task[list[int]]] = set()
        self.now = int(time.time())
        self.reset()

    def reset(self) -> None:
        super().reset()
        self.customers: dict[str, dict[str, Any]] = {}
        self.checkout_sessions: dict[str, dict[str, Any]] = {}
        self.portal_sessions: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.idempotency: dict[str, dict[str, Any]] = {}

    def is_generation(self, received: Received) -> bool:
        return False

    def routes(self) -> list[Route]:
        return [
            Route("/v1/customers", self._create_customer, methods=["POST"]),
            Route("/v1/customers/{id}", self._get("customers"), methods=["GET"]),
            Route("/v1/checkout/sessions", self._create_checkout, methods=["POST"]),
            Route("/v1/checkout/sessions/{id}", self._get_checkout, methods=["GET"]),
            Route("/v1/billing_portal/sessions", self._create_portal, methods=["POST"]),
            Route("/v1/subscriptions/{id}", self._get("subscriptions"), methods=["GET"]),
            Route("/v1/invoices/{id}", self._get("invoices"), methods=["GET"]),
            Route("/invoice/{id}/pdf", self._invoice_pdf, methods=["GET"]),
            Route("/checkout/{id}", self._checkout_page, methods=["GET"]),
            Route("/checkout/{id}/pay", self._checkout_pay, methods=["POST"]),
            Route("/portal/{id}", self._portal_page, methods=["GET"]),
        ]

    # --- the API -----------------------------------------------------------------------------------

    async def _authorized(self, request: Request) -> tuple[Received, dict[str, Any]] | Response:
        received = await self.record(request)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Invalid API Key provided.", code="api_key_invalid")
        params = _unflatten(parse_qsl(received.body.decode())) if received.body else {}
        params |= _unflatten(list(request.query_params.multi_items()))
        return received, params

    def _get(self, collection: str) -> Any:
        async def handler(request: Request) -> Response:
            checked = await self._authorized(request)
            if isinstance(checked, Response):
                return checked
            found = getattr(self, collection).get(request.path_params["id"])
            if found is None:
                return _error(404, f"No such {collection[:-1]}: '{request.path_params['id']}'")
            return JSONResponse(found)
        return handler

    async def _create_customer(self, request: Request) -> Response:
        checked = await self._authorized(request)
        if isinstance(checked, Response):
            return checked
        received, params = checked
        key = received.headers.get("idempotency-key")
        if key and key in self.idempotency:
            return JSONResponse(self.idempotency[key])
        customer = {"id": f"cus_{secrets.token_hex(7)}", "object": "customer", "created": self.now,
                    "email": params.get("email"), "name": params.get("name"), "livemode": False,
                    "metadata": params.get("metadata", {})}
        self.customers[customer["id"]] = customer
        if key:
            self.idempotency[key] = customer
        return JSONResponse(customer)

    async def _create_checkout(self, request: Request) -> Response:
        checked = await self._authorized(request)
        if isinstance(checked, Response):
            return checked
        _received, params = checked
        if params.get("customer") not in self.customers:
            return _error(400, f"No such customer: '{params.get('customer')}'")
        items = params.get("line_items") or []
        if len(items) != 1 or items[0].get("price") not in PRICES:
            return _error(400, "No such price.")
        price = items[0]["price"]
        recurring = PRICES[price][1] is not None
        if (params.get("mode") == "subscription") != recurring:
            return _error(400, "The price type does not match the Checkout mode.", code="parameter_invalid")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id, "object": "checkout.session", "mode": params["mode"], "status": "open",
            "payment_status": "unpaid", "customer": params["customer"],
            "client_reference_id": params.get("client_reference_id"), "metadata": params.get("metadata", {}),
            "success_url": params["success_url"], "cancel_url": params["cancel_url"],
            "url": f"{self.origin}/checkout/{session_id}", "subscription": None, "invoice": None,
            "amount_total": PRICES[price][0], "currency": "usd", "created": self.now, "livemode": False,
            "line_items": {"object": "list", "has_more": False, "url": f"/v1/checkout/sessions/{session_id}/line_items",
                           "data": [self._line_item(price)]},
        }
        self.checkout_sessions[session_id] = session
        return JSONResponse(self._without_line_items(session))

    async def _get_checkout(self, request: Request) -> Response:
        checked = await self._authorized(request)
        if isinstance(checked, Response):
            return checked
        _received, params = checked
        session = self.checkout_sessions.get(request.path_params["id"])
        if session is None:
            return _error(404, "No such checkout.session")
        expand = params.get("expand") or []
        return JSONResponse(session if "line_items" in expand else self._without_line_items(session))

    async def _create_portal(self, request: Request) -> Response:
        checked = await self._authorized(request)
        if isinstance(checked, Response):
            return checked
        _received, params = checked
        if params.get("customer") not in self.customers:
            return _error(400, f"No such customer: '{params.get('customer')}'")
        portal_id = f"bps_{secrets.token_hex(12)}"
        portal = {"id": portal_id, "object": "billing_portal.session", "customer": params["customer"],
                  "return_url": params.get("return_url"), "url": f"{self.origin}/portal/{portal_id}",
                  "created": self.now, "livemode": False}
        self.portal_sessions[portal_id] = portal
        return JSONResponse(portal)

    async def _invoice_pdf(self, request: Request) -> Response:
        await self.record(request)
        if request.path_params["id"] not in self.invoices:
            return Response(status_code=404)
        return Response(INVOICE_PDF, media_type="application/pdf")

    # --- hosted pages ------------------------------------------------------------------------------

    async def _checkout_page(self, request: Request) -> Response:
        session = self.checkout_sessions.get(request.path_params["id"])
        if session is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        price = session["line_items"]["data"][0]["price"]
        amount = f"${price['unit_amount'] / 100:.2f}"
        return HTMLResponse(
            f"<!doctype html><title>Checkout</title><h1>Pay Dream Pixel</h1><p>{html.escape(price['id'])}: {amount}</p>"
            f"<form method='post' action='/checkout/{session['id']}/pay'><button type='submit'>Pay {amount}</button></form>"
            f"<a href='{html.escape(session['cancel_url'])}'>Back</a>")

    async def _checkout_pay(self, request: Request) -> Response:
        session_id = request.path_params["id"]
        if session_id not in self.checkout_sessions:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        events = self.complete_checkout(session_id)
        if self.delivery_delay:
            # As with Stripe, the customer may be back on the app before the webhook arrives.
            task = asyncio.create_task(self.deliver(events, delay=self.delivery_delay))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        else:
            await self.deliver(events)
        success = self.checkout_sessions[session_id]["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
        return RedirectResponse(success, status_code=303)

    async def _portal_page(self, request: Request) -> Response:
        portal = self.portal_sessions.get(request.path_params["id"])
        if portal is None:
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        return HTMLResponse(f"<!doctype html><title>Billing portal</title><h1>Manage billing</h1>"
                            f"<a href='{html.escape(portal['return_url'] or '/')}'>Return</a>")

    # --- the billing engine ------------------------------------------------------------------------

    def _line_item(self, price_id: str) -> dict[str, Any]:
        amount, _interval = PRICES[price_id]
        return {"id": f"li_{secrets.token_hex(8)}", "object": "item", "quantity": 1, "amount_total": amount,
                "currency": "usd", "price": self._price(price_id)}

    def _price(self, price_id: str) -> dict[str, Any]:
        amount, interval = PRICES[price_id]
        return {"id": price_id, "object": "price", "active": True, "currency": "usd", "unit_amount": amount,
                "product": f"prod_{price_id}", "type": "recurring" if interval else "one_time",
                "recurring": {"interval": interval, "interval_count": 1} if interval else None}

    @staticmethod
    def _without_line_items(session: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in session.items() if k != "line_items"}

    def _period_length(self, price_id: str) -> int:
        return 365 * DAY if PRICES[price_id][1] == "year" else 30 * DAY

    def _event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.now += 1
        event = {"id": f"evt_{secrets.token_hex(12)}", "object": "event", "api_version": "2026-10-28.endive",
                 "created": self.now, "livemode": False, "pending_webhooks": 1, "type": kind,
                 "request": {"id": None, "idempotency_key": None}, "data": {"object": copy.deepcopy(obj)}}
        self.events.append(event)
        return event

    def _invoice(self, subscription: dict[str, Any], *, price_id: str, start: int, end: int, paid: bool,
                 reason: str, amount: int | None = None) -> dict[str, Any]:
        invoice_id = f"in_{secrets.token_hex(12)}"
        amount = PRICES[price_id][0] if amount is None else amount
        invoice = {
            "id": invoice_id, "object": "invoice", "customer": subscription["customer"],
            "status": "paid" if paid else "open", "billing_reason": reason, "currency": "usd",
            "amount_due": amount, "amount_paid": amount if paid else 0, "amount_remaining": 0 if paid else amount,
            "created": self.now, "period_start": start, "period_end": start, "livemode": False,
            "hosted_invoice_url": f"{self.origin}/invoice/{invoice_id}",
            "invoice_pdf": f"{self.origin}/invoice/{invoice_id}/pdf",
            "parent": {"type": "subscription_details", "quote_details": None,
                       "subscription_details": {"subscription": subscription["id"], "metadata": {}}},
            "lines": {"object": "list", "has_more": False, "data": [{
                "id": f"il_{secrets.token_hex(8)}", "object": "line_item", "amount": amount, "currency": "usd",
                "period": {"start": start, "end": end}, "quantity": 1,
                "pricing": {"type": "price_details", "unit_amount_decimal": str(amount),
                            "price_details": {"price": price_id, "product": f"prod_{price_id}"}},
            }]},
        }
        self.invoices[invoice_id] = invoice
        subscription["latest_invoice"] = invoice_id
        return invoice

    def complete_checkout(self, session_id: str) -> list[dict[str, Any]]:
        """The customer paid: for a plan, a subscription and its first paid invoice; for a pack, a payment."""
        session = self.checkout_sessions[session_id]
        price_id = session["line_items"]["data"][0]["price"]["id"]
        events: list[dict[str, Any]] = []
        session.update(status="complete", payment_status="paid")
        if session["mode"] == "subscription":
            start, end = self.now, self.now + self._period_length(price_id)
            subscription = {
                "id": f"sub_{secrets.token_hex(12)}", "object": "subscription", "customer": session["customer"],
                "status": "active", "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None,
                "ended_at": None, "created": start, "start_date": start, "livemode": False, "metadata": {},
                "latest_invoice": None,
                "items": {"object": "list", "has_more": False, "data": [{
                    "id": f"si_{secrets.token_hex(8)}", "object": "subscription_item", "quantity": 1,
                    "price": self._price(price_id), "current_period_start": start, "current_period_end": end}]},
            }
            self.subscriptions[subscription["id"]] = subscription
            invoice = self._invoice(subscription, price_id=price_id, start=start, end=end, paid=True,
                                    reason="subscription_create")
            session.update(subscription=subscription["id"], invoice=invoice["id"])
            events.append(self._event("customer.subscription.created", subscription))
            events.append(self._event("invoice.finalized", invoice))
            events.append(self._event("invoice.paid", invoice))
        else:
            session["payment_intent"] = f"pi_{secrets.token_hex(12)}"
        events.append(self._event("checkout.session.completed", self._without_line_items(session)))
        return events

    def _item(self, subscription_id: str) -> dict[str, Any]:
        item: dict[str, Any] = self.subscriptions[subscription_id]["items"]["data"][0]
        return item

    def renew(self, subscription_id: str) -> list[dict[str, Any]]:
        """The period ended and the card was charged: a new period and its paid invoice."""
        subscription, item = self.subscriptions[subscription_id], self._item(subscription_id)
        start = item["current_period_end"]
        end = start + self._period_length(item["price"]["id"])
        self.now = max(self.now, start)
        item.update(current_period_start=start, current_period_end=end)
        subscription["status"] = "active"
        invoice = self._invoice(subscription, price_id=item["price"]["id"], start=start, end=end, paid=True,
                                reason="subscription_cycle")
        return [self._event("customer.subscription.updated", subscription), self._event("invoice.finalized", invoice),
                self._event("invoice.paid", invoice)]

    def fail_payment(self, subscription_id: str) -> list[dict[str, Any]]:
        """The renewal charge was declined: a new period, an open invoice and the subscription past due."""
        subscription, item = self.subscriptions[subscription_id], self._item(subscription_id)
        start = item["current_period_end"]
        end = start + self._period_length(item["price"]["id"])
        self.now = max(self.now, start)
        item.update(current_period_start=start, current_period_end=end)
        subscription["status"] = "past_due"
        invoice = self._invoice(subscription, price_id=item["price"]["id"], start=start, end=end, paid=False,
                                reason="subscription_cycle")
        return [self._event("invoice.finalized", invoice), self._event("invoice.payment_failed", invoice),
                self._event("customer.subscription.updated", subscription)]

    def pay_open_invoice(self, subscription_id: str) -> list[dict[str, Any]]:
        """A retry succeeded: the open invoice is paid and the subscription active again."""
        subscription = self.subscriptions[subscription_id]
        invoice = self.invoices[subscription["latest_invoice"]]
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0)
        subscription["status"] = "active"
        return [self._event("invoice.paid", invoice), self._event("customer.subscription.updated", subscription)]

    def cancel_at_period_end(self, subscription_id: str) -> list[dict[str, Any]]:
        subscription = self.subscriptions[subscription_id]
        subscription.update(cancel_at_period_end=True, cancel_at=self._item(subscription_id)["current_period_end"],
                            canceled_at=self.now)
        return [self._event("customer.subscription.updated", subscription)]

    def end_period(self, subscription_id: str) -> list[dict[str, Any]]:
        """The period of a subscription set to cancel ended: Stripe deletes it."""
        subscription = self.subscriptions[subscription_id]
        self.now = max(self.now, self._item(subscription_id)["current_period_end"])
        subscription.update(status="canceled", ended_at=self.now)
        return [self._event("customer.subscription.deleted", subscription)]

    def change_price(self, subscription_id: str, price_id: str) -> list[dict[str, Any]]:
        """A plan change mid-period, invoiced at once for the rest of the period (prorated)."""
        subscription, item = self.subscriptions[subscription_id], self._item(subscription_id)
        old_amount, new_amount = PRICES[item["price"]["id"]][0], PRICES[price_id][0]
        item["price"] = self._price(price_id)
        invoice = self._invoice(subscription, price_id=price_id, start=self.now, end=item["current_period_end"],
                                paid=True, reason="subscription_update", amount=max(new_amount - old_amount, 0))
        return [self._event("customer.subscription.updated", subscription), self._event("invoice.finalized", invoice),
                self._event("invoice.paid", invoice)]

    # --- delivering --------------------------------------------------------------------------------

    def signed(self, event: dict[str, Any], *, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers of `event` as Stripe posts it."""
        body = json.dumps(event).encode()
        return body, {"content-type": "application/json; charset=utf-8", "stripe-signature":
                      sign(body, self.webhook_secret, timestamp)}

    async def deliver(self, events: list[dict[str, Any]], *, delay: float = 0.0) -> list[int]:
        """POST each event, signed, to `webhook_url` (the hosted checkout page does this)."""
        await asyncio.sleep(delay)
        statuses = []
        async with httpx.AsyncClient(timeout=10) as http:
            for event in events:
                body, headers = self.signed(event)
                statuses.append((await http.post(self.webhook_url, content=body, headers=headers)).status_code)
        return statuses


@pytest.fixture(scope="session")
def _stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe()
    with fake.serve():
        yield fake


@pytest.fixture
def stripe_fake(_stripe_server: FakeStripe, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    """The fake Stripe API, empty, with the app's Stripe settings pointed at it."""
    from dreampixel.core.settings import CreditPack, settings
    from services.billing import stripe as stripe_adapter

    _stripe_server.reset()
    _stripe_server.webhook_url = ""
    _stripe_server.delivery_delay = 0.0
    for name, value in {"stripe_secret_key": STRIPE_KEY, "stripe_webhook_secret": WEBHOOK_SECRET}.items():
        monkeypatch.setattr(settings, name, type(getattr(settings, name))(value))
    monkeypatch.setattr(settings, "stripe_api_base", _stripe_server.origin)
    monkeypatch.setattr(settings, "stripe_price_pro_monthly", PRICE_PRO_MONTHLY)
    monkeypatch.setattr(settings, "stripe_price_pro_yearly", PRICE_PRO_YEARLY)
    monkeypatch.setattr(settings, "stripe_price_enterprise", PRICE_ENTERPRISE)
    monkeypatch.setattr(settings, "credit_packs", [CreditPack(price_id=PRICE_PACK_SMALL, credits=250,
                                                              label="250 credits", price="$9")])
    stripe_adapter.reset_client()
    yield _stripe_server
    stripe_adapter.reset_client()
    _stripe_server.reset()
