"""Dream Pixel's tables, and the Create schemas that check what goes into them.

What the API and the pages read is built in each domain's `services/<domain>/schemas.py`.

Import from here (`from dreampixel.core.models import Generation`); importing this package
also registers every table on `metadata`, which Alembic compares against the database.
"""

from dreampixel.core.models.base import (
    ID_LENGTH,
    CreatedAt,
    JSONType,
    StringEnum,
    Timestamps,
    UTCDateTime,
    metadata,
    new_id,
    utcnow,
)
from dreampixel.core.models.billing import (
    CreditLedger,
    CreditLedgerBase,
    Invoice,
    InvoiceBase,
    StripeEvent,
    Subscription,
    SubscriptionBase,
)
from dreampixel.core.models.enums import (
    DeliveryStatus,
    GenerationSource,
    GenerationStatus,
    IdempotencyState,
    ImageStatus,
    ImageType,
    LedgerReason,
    ModerationStatus,
    OutputFormat,
    Role,
    SeedCategory,
    SubscriptionStatus,
    Tier,
    TokenPurpose,
    UserStatus,
)
from dreampixel.core.models.generations import (
    Generation,
    GenerationBase,
    GenerationCreate,
)
from dreampixel.core.models.images import Image, ImageBase
from dreampixel.core.models.ops import AuditLog, ErrorLog, IdempotencyRecord
from dreampixel.core.models.seeds import Seed, SeedBase, SeedCreate, SeedFavorite, SeedUse
from dreampixel.core.models.users import (
    ApiKey,
    ApiKeyBase,
    ApiKeyPublic,
    AuthSession,
    OAuthAccount,
    User,
    UserBase,
    UserCreate,
    UserPublic,
    VerificationToken,
)
from dreampixel.core.models.webhooks import (
    WebhookDelivery,
    WebhookDeliveryBase,
    WebhookEndpoint,
    WebhookEndpointBase,
    WebhookEndpointPublic,
)

__all__ = [
    "ID_LENGTH",
    "ApiKey",
    "ApiKeyBase",
    "ApiKeyPublic",
    "AuditLog",
    "AuthSession",
    "CreatedAt",
    "CreditLedger",
    "CreditLedgerBase",
    "DeliveryStatus",
    "ErrorLog",
    "Generation",
    "GenerationBase",
    "GenerationCreate",
    "GenerationSource",
    "GenerationStatus",
    "IdempotencyRecord",
    "IdempotencyState",
    "Image",
    "ImageBase",
    "ImageStatus",
    "ImageType",
    "Invoice",
    "InvoiceBase",
    "JSONType",
    "LedgerReason",
    "ModerationStatus",
    "OAuthAccount",
    "OutputFormat",
    "Role",
    "Seed",
    "SeedBase",
    "SeedCategory",
    "SeedCreate",
    "SeedFavorite",
    "SeedUse",
    "StringEnum",
    "StripeEvent",
    "Subscription",
    "SubscriptionBase",
    "SubscriptionStatus",
    "Tier",
    "Timestamps",
    "TokenPurpose",
    "UTCDateTime",
    "User",
    "UserBase",
    "UserCreate",
    "UserPublic",
    "UserStatus",
    "VerificationToken",
    "WebhookDelivery",
    "WebhookDeliveryBase",
    "WebhookEndpoint",
    "WebhookEndpointBase",
    "WebhookEndpointPublic",
    "metadata",
    "new_id",
    "utcnow",
]
