"""/api/v1/invoices: the key owner's Stripe invoices and their PDF copies (scope `account:read`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import Response

from dreampixel.api.billing import invoice_pdf
from dreampixel.api.deps import ApiCaller, SessionDep, require
from dreampixel.core.schemas import Page
from services.billing import invoices
from services.billing.billing_schemas import InvoicePublic

router = APIRouter(prefix="/invoices", tags=["billing"])

Caller = Annotated[ApiCaller, require("account:read")]
PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}, "description": "The invoice as Stripe issued it."}}


@router.get("")
def list_invoices(session: SessionDep, caller: Caller) -> Page[InvoicePublic]:
    """Every invoice of the caller, newest first."""
    return Page[InvoicePublic].of(invoices.list_for(session, user_id=caller.user_id), None)


@router.get("/{invoice_id}/pdf", response_class=Response, responses=PDF)
async def download_invoice(invoice_id: str, caller: Caller) -> Response:
    """The invoice's PDF; another user's invoice is a 404."""
    return await invoice_pdf(caller.user_id, invoice_id)
