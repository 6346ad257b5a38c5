"""Billing for the signed-in browser: an invoice PDF by the session cookie (the billing page links here)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from dreampixel.api.deps import SessionCaller
from dreampixel.core.db import uow
from dreampixel.core.errors import NotFound
from services.billing import invoices
from services.storage import StorageNotFound, get_storage

router = APIRouter(prefix="/billing", tags=["billing"])


def _locate(user_id: str, invoice_id: str) -> str:
    with uow() as session:
        return invoices.pdf_of(session, user_id=user_id, invoice_id=invoice_id)


async def invoice_pdf(user_id: str, invoice_id: str) -> Response:
    """The stored PDF of one of `user_id`'s invoices, as an attachment."""
    key = await asyncio.to_thread(_locate, user_id, invoice_id)
    try:
        data = await get_storage("invoices").get(key)
    except StorageNotFound:
        raise NotFound("The invoice file is missing from storage.") from None
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="dreampixel-invoice-{invoice_id}.pdf"',
        "Cache-Control": "private, no-store",
    })


@router.get("/invoices/{invoice_id}/pdf", include_in_schema=False)
async def download_invoice(invoice_id: str, caller: SessionCaller) -> Response:
    return await invoice_pdf(caller.user_id, invoice_id)
