"""Stored image files: reference uploads, generated outputs and their derivatives."""

from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from dreampixel.core.models.base import CreatedAt, JSONType, enum_field, id_field, reference
from dreampixel.core.models.enums import ImageStatus, ImageType


class ImageBase(SQLModel):
    type: ImageType = enum_field(ImageType, ImageType.GENERATION)
    width: int
    height: int
    content_type: str = Field(max_length=64)
    # Which of a generation's variations this is (0-based); None for uploads and derivatives.
    variation_index: int | None = None


class Image(ImageBase, CreatedAt, table=True):
    __tablename__ = "images"
    __table_args__ = (
        # A reference upload identical to one the user already has is not stored twice.
        Index("ix_images_user_id_sha256", "user_id", "sha256"),
    )

    id: str = id_field("img")
    # Kept when the account goes (SET NULL) so shared seed examples do not vanish with it.
    user_id: str | None = reference("users.id", ondelete="SET NULL", nullable=True)
    generation_id: str | None = reference("generations.id", ondelete="SET NULL", nullable=True, index=True)
    # Thumbnails and medium sizes point at the full image they were derived from.
    parent_id: str | None = reference("images.id", ondelete="CASCADE", nullable=True, index=True)
    status: ImageStatus = enum_field(ImageStatus, ImageStatus.PENDING)
    storage_key: str = Field(max_length=512)
    url: str | None = Field(default=None, max_length=2048)
    bytes: int = 0
    sha256: str = Field(max_length=64)
    perceptual_hash: str | None = Field(default=None, max_length=128)
    # `metadata` is taken by SQLModel itself; the column keeps the natural name.
    meta: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType, nullable=False, sa_column_kwargs={"name": "metadata"}
    )
