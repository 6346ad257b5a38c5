"""The developer API, version 1 (see ../shared/API.md)."""

from fastapi import APIRouter

from dreampixel.api.v1 import account, billing, generations, invoices, providers, seeds, uploads, webhooks

router = APIRouter()
router.include_router(generations.router)
router.include_router(uploads.router)
router.include_router(providers.router)
router.include_router(seeds.router)
router.include_router(account.router)
router.include_router(invoices.router)
router.include_router(billing.router)
router.include_router(webhooks.router)
