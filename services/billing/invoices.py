"""Invoices: mirrored from Stripe, their PDF copied into the invoices bucket, served to the owner only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from dreampixel.core.errors import NotFound
from dreampixel.core.logging import get_logger
from dreampixel.core.models import Invoice, User
from services.billing import stripe
from services.billing.billing_schemas import InvoicePublic
from services.email import notifications, templates
from services.events import service as events
from services.jobs.service import enqueue_after_commit

log = get_logger(__name__)

COPY_PDF_JOB = "billing.copy_invoice_pdf"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class InvoicePdfPending(NotFound):
    code = "invoice_pdf_pending"


def _timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def pdf_key(invoice: Invoice) -> str:
    return f"{invoice.user_id}/{invoice.id}.pdf"


def mirror(session: Session, *, invoice: dict[str, Any], user_id: str) -> Invoice:
    """Insert or refresh the row of a Stripe invoice; a newly paid one gets its receipt and PDF copy."""
    row = session.exec(select(Invoice).where(col(Invoice.stripe_invoice_id) == invoice["id"])).first()
    was_paid = row is not None and row.status == "paid"
    if row is None:
        row = Invoice(stripe_invoice_id=invoice["id"], user_id=user_id, status=invoice["status"])
    lines = stripe.invoice_lines(invoice)
    row.status = invoice["status"]
    row.amount_due, row.amount_paid = int(invoice.get("amount_due") or 0), int(invoice.get("amount_paid") or 0)
    row.currency = str(invoice.get("currency") or "usd")[:3]
    row.hosted_invoice_url = invoice.get("hosted_invoice_url")
    row.period_start = _timestamp(min((start for _p, start, _e in lines), default=invoice.get("period_start")))
    row.period_end = _timestamp(max((end for _p, _s, end in lines), default=invoice.get("period_end")))
    session.add(row)
    session.flush()
    if row.status == "paid" and not was_paid:
        if invoice.get("invoice_pdf") and row.pdf_storage_key is None:
            enqueue_after_commit(session, COPY_PDF_JOB, row.id)
        _send_receipt(session, row)
    return row


def _send_receipt(session: Session, invoice: Invoice) -> None:
    user = session.get(User, invoice.user_id) if invoice.user_id else None
    if user is None:
        return
    amount = f"{invoice.amount_paid / 100:,.2f} {invoice.currency.upper()}"
    notifications.queue(session, templates._message(
        to=user.email, subject="Your Dream Pixel receipt", title="Payment received", kind="receipt",
        paragraphs=[f"Hi {user.name}," if user.name else "Hi,", f"We received your payment of {amount}. Thank you.",
                    "The invoice is on your billing page, as a PDF to download."],
        button=("Open billing", notifications.link("/billing")),
        footer="You receive this for every payment to Dream Pixel.",
    ))


def list_for(session: Session, *, user_id: str) -> list[InvoicePublic]:
    """The user's invoices, newest first."""
    rows = session.exec(select(Invoice).where(col(Invoice.user_id) == user_id)
                        .order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc())).all()
    return [InvoicePublic.of(row) for row in rows]


def pdf_of(session: Session, *, user_id: str, invoice_id: str) -> str:
    """The storage key of the invoice's PDF; someone else's invoice is as unknown as a missing one."""
    row = session.get(Invoice, invoice_id)
    if row is None or row.user_id != user_id:
        raise InvoiceNotFound("No such invoice.")
    if row.pdf_storage_key is None:
        raise InvoicePdfPending("This invoice's PDF is still being copied; try again in a moment.")
    return row.pdf_storage_key


# --- the copy job's two steps (the download runs between them, outside any transaction) ---------


def pdf_source(session: Session, invoice_id: str) -> tuple[str, str] | None:
    """(Stripe's invoice_pdf URL, our storage key) while the copy is still to do, else None."""
    row = session.get(Invoice, invoice_id)
    if row is None or row.pdf_storage_key is not None:
        return None
    url = stripe.retrieve_invoice(row.stripe_invoice_id).get("invoice_pdf")
    return (str(url), pdf_key(row)) if url else None


def pdf_stored(session: Session, invoice_id: str, key: str) -> None:
    row = session.get(Invoice, invoice_id)
    if row is not None:
        row.pdf_storage_key = key
        session.add(row)
        log.info("billing.invoice_pdf_stored", invoice_id=invoice_id)
        if row.user_id:
            events.publish_after_commit(session, row.user_id, {"type": "billing.updated"})
