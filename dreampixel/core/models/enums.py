"""Every closed set of values the data model uses.

Stored as their values in VARCHAR columns (see `StringEnum`), so adding a member needs no
migration. Values the public API shows are lowercase; the rest keep the names the original
Prisma schema used, so exported data reads the same.
"""

from enum import StrEnum


class Tier(StrEnum):
    FREE = "FREE"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


class Role(StrEnum):
    USER = "USER"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


class UserStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"  # noqa: S105 (a purpose, not a password)
    CHANGE_EMAIL = "CHANGE_EMAIL"
    # A minute-long ticket a page hands to /api/auth/session to receive its session cookie.
    SIGN_IN = "SIGN_IN"
    # Sent to the old address when an email change is confirmed: puts the old address back.
    UNDO_EMAIL_CHANGE = "UNDO_EMAIL_CHANGE"


class GenerationStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self not in (GenerationStatus.QUEUED, GenerationStatus.PROCESSING)


class GenerationSource(StrEnum):
    WEB = "web"
    API = "api"


class OutputFormat(StrEnum):
    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"


class ImageType(StrEnum):
    REFERENCE = "REFERENCE"
    GENERATION = "GENERATION"
    THUMBNAIL = "THUMBNAIL"
    MEDIUM = "MEDIUM"
    FULL = "FULL"


class ImageStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    DELETED = "DELETED"


class SubscriptionStatus(StrEnum):
    INACTIVE = "INACTIVE"
    TRIALING = "TRIALING"
    ACTIVE = "ACTIVE"
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"
    UNPAID = "UNPAID"
    INCOMPLETE = "INCOMPLETE"


class SeedCategory(StrEnum):
    PORTRAIT = "PORTRAIT"
    LANDSCAPE = "LANDSCAPE"
    ANIME = "ANIME"
    ABSTRACT = "ABSTRACT"
    OTHER = "OTHER"


class ModerationStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class LedgerReason(StrEnum):
    GRANT = "grant"
    HOLD = "hold"
    RELEASE = "release"
    CHARGE = "charge"
    PURCHASE = "purchase"
    SUBSCRIPTION = "subscription"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class IdempotencyState(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
