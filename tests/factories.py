"""Rows with sensible defaults, for arranging a test: `create_user(session, tier=Tier.PRO)`.

Each factory adds its row and flushes (so ids, defaults and constraints apply) but never
commits: the test, or the code under test, owns the transaction.
"""

from __future__ import annotations

import secrets
from typing import Any, TypeVar

from sqlmodel import Session

from dreampixel.core.models import (
    ApiKey,
    Generation,
    GenerationStatus,
    Image,
    ImageStatus,
    ImageType,
    ModerationStatus,
    Seed,
    SeedCategory,
    User,
    utcnow,
)

# Shaped like a bcrypt hash but the hash of nothing: no password signs in with it. Tests that
# sign in create the user through services.accounts, which hashes a real password.
UNUSABLE_PASSWORD_HASH = "$2b$12$" + "." * 53


RowT = TypeVar("RowT")


def _token() -> str:
    return secrets.token_hex(6)


def _save(session: Session, row: RowT) -> RowT:
    session.add(row)
    session.flush()
    return row


def create_user(session: Session, **overrides: Any) -> User:
    """A verified, active FREE user with no credits (so the ledger and the balance agree)."""
    values: dict[str, Any] = {
        "email": f"user-{_token()}@example.test",
        "name": "Test User",
        "password_hash": UNUSABLE_PASSWORD_HASH,
        "credit_balance": 0,
        "email_verified_at": utcnow(),
    }
    return _save(session, User(**(values | overrides)))


def create_generation(session: Session, user: User, **overrides: Any) -> Generation:
    """A queued 512x512 web generation owned by `user`."""
    now = utcnow()
    values: dict[str, Any] = {
        "user_id": user.id,
        "prompt": "a lighthouse on a cliff at dusk",
        "width": 512,
        "height": 512,
        "status": GenerationStatus.QUEUED,
        "queued_at": now,
    }
    return _save(session, Generation(**(values | overrides)))


def create_image(
    session: Session, user: User | None = None, generation: Generation | None = None, **overrides: Any
) -> Image:
    """A ready 512x512 PNG, belonging to `user` and `generation` when given."""
    values: dict[str, Any] = {
        "user_id": user.id if user else None,
        "generation_id": generation.id if generation else None,
        "type": ImageType.GENERATION if generation else ImageType.REFERENCE,
        "status": ImageStatus.READY,
        "width": 512,
        "height": 512,
        "bytes": 2048,
        "content_type": "image/png",
        "sha256": secrets.token_hex(32),
        "storage_key": f"test/{_token()}.png",
    }
    return _save(session, Image(**(values | overrides)))


def create_seed(session: Session, creator: User | None = None, **overrides: Any) -> Seed:
    """An approved, published marketplace seed (pass moderation_status to test moderation)."""
    now = utcnow()
    values: dict[str, Any] = {
        "seed_number": secrets.randbelow(10**12),
        "creator_id": creator.id if creator else None,
        "title": "Golden hour at sea",
        "description": "A warm sun sinking into a calm ocean.",
        "category": SeedCategory.LANDSCAPE,
        "recipe": {"prompt": "a sunset over the ocean", "negative_prompt": "", "width": 512, "height": 512},
        "moderation_status": ModerationStatus.APPROVED,
        "published_at": now,
    }
    return _save(session, Seed(**(values | overrides)))


def create_api_key(session: Session, user: User, **overrides: Any) -> ApiKey:
    """A key row whose plaintext nobody knows; to call the API with a key, use services.api_keys."""
    values: dict[str, Any] = {
        "user_id": user.id,
        "name": "Test key",
        "prefix": f"dp_live_{_token()[:4]}",
        "key_hash": secrets.token_hex(32),
        "scopes": ["generations:read", "generations:write"],
    }
    return _save(session, ApiKey(**(values | overrides)))
