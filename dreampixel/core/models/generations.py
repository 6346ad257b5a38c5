"""A generation: one prompt sent to a provider, from `queued` to a final status."""

from datetime import datetime
from typing import Any

from pydantic import field_validator
from sqlalchemy import BigInteger, Index, Text, text
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import (
    JSONType,
    Timestamps,
    UTCDateTime,
    counter_field,
    enum_field,
    flag_field,
    id_field,
    reference,
)
from dreampixel.core.models.enums import GenerationSource, GenerationStatus, OutputFormat
from dreampixel.core.settings import settings as app_settings

MIN_DIMENSION = 64
MAX_DIMENSION = 4096


class GenerationBase(SQLModel):
    """What was asked for. The bounds hold for every row, so they live here, not only in Create."""

    prompt: str = Field(sa_type=Text)
    negative_prompt: str = Field(default="", sa_type=Text)
    seed_requested: int | None = Field(default=None, sa_type=BigInteger)
    width: int = Field(default=1024, ge=MIN_DIMENSION, le=MAX_DIMENSION, multiple_of=8)
    height: int = Field(default=1024, ge=MIN_DIMENSION, le=MAX_DIMENSION, multiple_of=8)
    steps: int = Field(default=30, ge=1, le=150)
    guidance_scale: float = Field(default=7.5, ge=0, le=30)
    num_variations: int = Field(default=1, ge=1, le=4)
    output_format: OutputFormat = enum_field(OutputFormat, OutputFormat.PNG)
    provider_requested: str | None = Field(default=None, max_length=32)
    # Everything else the request carried (style, sampler, ...), passed to the provider as is.
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, nullable=False)


class GenerationCreate(GenerationBase):
    reference_image_id: str | None = None
    seed_listing_id: str | None = None
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=255)
    # The client's own labels, stored as sent and returned on the generation (capped by the request).
    meta: dict[str, Any] = Field(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the prompt is empty")
        # Read at validation time, so a changed setting applies without a restart of this module.
        if len(value) > app_settings.max_prompt_length:
            raise ValueError(f"the prompt is longer than {app_settings.max_prompt_length} characters")
        return value

    @field_validator("negative_prompt")
    @classmethod
    def _negative_prompt(cls, value: str) -> str:
        value = value.strip()
        if len(value) > app_settings.max_prompt_length:
            raise ValueError(f"the negative prompt is longer than {app_settings.max_prompt_length} characters")
        return value


class Generation(GenerationBase, Timestamps, table=True):
    __tablename__ = "generations"
    __table_args__ = (
        Index("ix_generations_user_id_created_at", "user_id", "created_at"),
        Index("ix_generations_status_queued_at", "status", "queued_at"),
        # The reaper looks for rows of a status whose last change (or heartbeat) is old.
        Index("ix_generations_status_updated_at", "status", "updated_at"),
        # The admin console counts a day's generations by when they were made and when they ended.
        Index("ix_generations_created_at", "created_at"),
        Index("ix_generations_completed_at", "completed_at"),
        # A retried POST with the same Idempotency-Key finds the first generation instead of
        # making a second one; rows without a key are not constrained.
        Index(
            "uq_generations_user_id_idempotency_key",
            "user_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
            sqlite_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    id: str = id_field("gen")
    user_id: str = reference("users.id", ondelete="CASCADE")
    api_key_id: str | None = reference("api_keys.id", ondelete="SET NULL", nullable=True)
    source: GenerationSource = enum_field(GenerationSource, GenerationSource.WEB)
    seed_used: int | None = Field(default=None, sa_type=BigInteger)
    status: GenerationStatus = enum_field(GenerationStatus, GenerationStatus.QUEUED)
    provider_used: str | None = Field(default=None, max_length=32)
    # One entry per provider call: {provider, status, error_code, latency_ms, at}.
    attempts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType, nullable=False)
    retry_count: int = counter_field()
    idempotency_key: str | None = Field(default=None, max_length=255)
    error_code: str | None = Field(default=None, max_length=64)
    error_message: str | None = Field(default=None, sa_type=Text)
    credits_held: int = counter_field()
    credits_charged: int = counter_field()
    credits_refunded: int = counter_field()
    queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Written by the run that holds the row while it works; the reaper leaves fresh ones alone.
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    processing_time_ms: int | None = None
    # images and seeds also point back at generations: these two foreign keys are added after
    # both tables exist (use_alter), which is what lets the tables be created at all.
    # The three references are indexed so deleting an image, a seed or an account (whose
    # generations cascade) does not scan this table once per deleted row.
    reference_image_id: str | None = reference(
        "images.id", ondelete="SET NULL", nullable=True, index=True, use_alter=True
    )
    seed_listing_id: str | None = reference("seeds.id", ondelete="SET NULL", nullable=True, index=True, use_alter=True)
    retry_of_id: str | None = reference("generations.id", ondelete="SET NULL", nullable=True, index=True)
    is_favorite: bool = flag_field()
    # `metadata` is taken by SQLModel itself; the column keeps the natural name.
    meta: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType, nullable=False, sa_column_kwargs={"name": "metadata"}
    )
