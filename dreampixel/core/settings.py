"""The one place Dream Pixel reads its configuration from: the environment and `.env`."""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "changeme", "secret", "dev-secret"})
# `seed-demo` creates these accounts with published passwords; production refuses to start with them.
DEFAULT_DEMO_EMAILS = ("admin@dreampixel.local", "demo@dreampixel.local")


def _aliases(name: str, *original: str) -> AliasChoices:
    """Today's name first, then the original product's, so an old `.env` still configures the app."""
    return AliasChoices(name, *(alias.lower() for alias in original))


# Environment names starting like these are meant for us; one we do not read is a typo or a
# setting that was renamed, and start-up says so (see `unknown_variables`).
OUR_PREFIXES = ("DREAMPIXEL_", "STRIPE_", "S3_", "GENERATION_", "API_RATE_LIMIT_", "RATE_LIMIT_", "CREDITS_",
                "SMTP_", "RESEND_", "GEMINI_", "STABILITY_", "REPLICATE_", "DEMO_", "NEXTAUTH_")


def _installation_secret(path: Path) -> str:
    """The random secret stored at `path`, made on first use (readable by its owner only)."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ProviderName(StrEnum):
    LOCAL = "local"
    GEMINI = "gemini"
    STABILITY = "stability"
    REPLICATE = "replicate"


TrustedProxies = int | tuple[IPv4Network | IPv6Network, ...]


def parse_trusted_proxies(raw: str) -> TrustedProxies:
    """TRUSTED_PROXIES as a hop count (`2`) or the proxies' networks (`10.0.0.0/8, ::1`); 0 when empty."""
    raw = raw.strip()
    if not raw:
        return 0
    if raw.isdigit():
        return int(raw)
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"TRUSTED_PROXIES must be a hop count or comma-separated addresses/CIDRs: {error}") from None


class CreditPack(BaseModel):
    """A one-off purchase of credits: the Stripe price and what it grants."""

    price_id: str
    credits: int = Field(gt=0)
    label: str
    price: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- the app ---------------------------------------------------------------------
    environment: Environment = Environment.DEVELOPMENT
    port: int = 3000
    public_url: str = Field(default="", validation_alias=_aliases("public_url", "NEXTAUTH_URL"))
    data_dir: Path = Path("data")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Who may tell us the client's address in X-Forwarded-For: a number of proxy hops, or
    # comma-separated addresses/CIDRs of the proxies. Empty: the peer is the client.
    trusted_proxies: str = ""
    # Origins allowed to call the API with credentials and open the event websocket;
    # comma-separated. Empty: the origin of PUBLIC_URL only.
    cors_allowed_origins: str = ""
    # Keep warnings and errors in the error_logs table for the admin error viewer.
    error_log_capture: bool = True

    # --- database ----------------------------------------------------------------------
    database_url: str = ""
    database_pool_size: int = 10

    # --- secrets -------------------------------------------------------------------------
    session_secret: SecretStr = Field(default=SecretStr("change-me"),
        validation_alias=_aliases("session_secret", "NEXTAUTH_SECRET"))
    jwt_secret: SecretStr = SecretStr("change-me")

    # --- OAuth ---------------------------------------------------------------------------
    google_client_id: str = ""
    google_client_secret: SecretStr = SecretStr("")
    google_metadata_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    github_client_id: str = ""
    github_client_secret: SecretStr = SecretStr("")
    github_base_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"

    # --- accounts ------------------------------------------------------------------------
    # Changing email, setting a first password, deleting the account and creating API keys need
    # the session to have proved its password (or a fresh OAuth sign-in) this many minutes ago.
    reauth_minutes: int = Field(default=10, ge=1)

    # --- email ---------------------------------------------------------------------------
    email_from: str = "Dream Pixel <no-reply@dreampixel.local>"
    resend_api_key: SecretStr = SecretStr("")
    resend_api_url: str = "https://api.resend.com"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True

    # --- jobs and shared state -----------------------------------------------------------
    redis_url: str = ""

    # --- operations ------------------------------------------------------------------------
    # Where the app backend serves its Prometheus metrics (host:port; each backend process takes
    # the first free port from it); empty: not served. Never the app's own port. Workers take the
    # first free port from WORKER_METRICS_BIND, or else from METRICS_BIND's port + 100.
    metrics_bind: str = ""
    worker_metrics_bind: str = ""
    # The name a worker reports its heartbeat under; empty: hostname:pid.
    worker_name: str = ""
    # Scheduled cleanup (hourly in the worker and in the app's in-process jobs): how long each kind
    # of finished record is kept before it is deleted.
    cleanup_session_grace_days: int = Field(default=7, ge=0)
    cleanup_token_grace_hours: int = Field(default=24, ge=0)
    cleanup_orphan_upload_hours: int = Field(default=24, ge=1)
    cleanup_webhook_attempt_days: int = Field(default=30, ge=1)

    # --- Stripe --------------------------------------------------------------------------
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_publishable_key: str = ""
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_price_pro_monthly: str = ""
    stripe_price_pro_yearly: str = ""
    stripe_price_enterprise: str = ""
    stripe_api_base: str = ""
    # One-off Checkout payments: a JSON list of {"price_id", "credits", "label", "price"}.
    credit_packs: list[CreditPack] = Field(default_factory=list)
    stripe_webhook_tolerance_seconds: int = 300
    # Display prices (Stripe holds the real ones); shown on /pricing next to each plan.
    price_label_pro_monthly: str = "$19 / month"
    price_label_pro_yearly: str = "$190 / year"
    price_label_enterprise: str = "$99 / month"

    # --- outgoing webhooks ------------------------------------------------------------------
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Failed deliveries are retried with exponential backoff (from the first delay, doubling, with
    # jitter) for this long after the event.
    webhook_retry_hours: float = Field(default=24.0, gt=0)
    webhook_retry_first_seconds: float = Field(default=10.0, gt=0)
    # An endpoint whose attempts failed this many times in a row is disabled and its owner emailed.
    webhook_disable_after_failures: int = Field(default=50, ge=1)
    # Development only: let webhooks target loopback addresses (a receiver on this machine).
    webhooks_allow_loopback: bool = False

    # --- object storage -------------------------------------------------------------------
    s3_access_key_id: str = Field(default="", validation_alias=_aliases("s3_access_key_id", "AWS_ACCESS_KEY_ID"))
    s3_secret_access_key: SecretStr = Field(default=SecretStr(""),
        validation_alias=_aliases("s3_secret_access_key", "AWS_SECRET_ACCESS_KEY"))
    s3_region: str = Field(default="us-east-1", validation_alias=_aliases("s3_region", "AWS_REGION"))
    s3_endpoint_url: str = ""
    s3_bucket_images: str = Field(default="", validation_alias=_aliases("s3_bucket_images", "S3_BUCKET_NAME"))
    s3_bucket_invoices: str = Field(default="",
        validation_alias=_aliases("s3_bucket_invoices", "AWS_S3_INVOICE_BUCKET"))
    s3_presign_ttl_seconds: int = 3600
    cdn_base_url: str = ""

    # --- image providers -----------------------------------------------------------------
    # The default provider. Empty: the first configured real provider of PROVIDER_ORDER, or the
    # offline `local` provider when none is configured.
    ai_provider: ProviderName | None = None
    # Failover order among the real providers; `local` is never a fallback.
    provider_order: str = "stability,replicate,gemini"
    gemini_api_key: SecretStr = SecretStr("")
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta"
    gemini_model: str = "gemini-3.1-flash-image"
    stability_api_key: SecretStr = SecretStr("")
    stability_base_url: str = "https://api.stability.ai"
    stability_endpoint: Literal["ultra", "core", "sd3"] = "core"
    replicate_api_token: SecretStr = Field(default=SecretStr(""),
        validation_alias=_aliases("replicate_api_token", "REPLICATE_API_KEY"))
    replicate_base_url: str = "https://api.replicate.com/v1"
    replicate_model: str = "black-forest-labs/flux-schnell"

    # --- generation -----------------------------------------------------------------------
    generation_max_retries: int = 3
    generation_timeout_seconds: int = 300
    generation_provider_timeout_seconds: int = 120
    generation_heartbeat_seconds: int = Field(default=15, ge=1)
    generation_limit_free: int = Field(default=1,
        validation_alias=_aliases("generation_limit_free", "GENERATION_FREE_TIER_LIMIT"))
    generation_limit_pro: int = Field(default=100,
        validation_alias=_aliases("generation_limit_pro", "GENERATION_PRO_TIER_LIMIT"))
    generation_limit_enterprise: int = Field(default=1000,
        validation_alias=_aliases("generation_limit_enterprise", "GENERATION_ENTERPRISE_TIER_LIMIT"))
    generation_window_free_seconds: int = 86_400
    generation_window_pro_seconds: int = 86_400
    generation_window_enterprise_seconds: int = 86_400
    max_prompt_length: int = 2000

    # --- prompt moderation ----------------------------------------------------------------
    # A user whose prompts are refused this many times within the window is suspended
    # automatically (0 never suspends). Staff accounts are never suspended this way.
    moderation_strike_limit: int = Field(default=3, ge=0)
    moderation_strike_window_days: int = Field(default=30, ge=1)

    # --- credits ----------------------------------------------------------------------------
    # Each plan's credits per period: FREE per calendar month, PRO and ENTERPRISE per paid period.
    credits_free_monthly: int = Field(default=30, ge=0)
    credits_pro_monthly: int = Field(default=1000, ge=0)
    credits_enterprise_monthly: int = Field(default=10_000, ge=0)
    # Below this balance the app shows a banner and emails the owner once.
    credits_low_threshold: int = Field(default=5, ge=0)

    # --- API rate limits ------------------------------------------------------------------
    api_rate_limit_free: int = Field(default=100,
        validation_alias=_aliases("api_rate_limit_free", "RATE_LIMIT_FREE", "RATE_LIMIT_FREE_TIER"))
    api_rate_limit_pro: int = Field(default=1000,
        validation_alias=_aliases("api_rate_limit_pro", "RATE_LIMIT_PRO", "RATE_LIMIT_PRO_TIER"))
    api_rate_limit_enterprise: int = Field(default=10_000,
        validation_alias=_aliases("api_rate_limit_enterprise", "RATE_LIMIT_ENTERPRISE", "RATE_LIMIT_ENTERPRISE_TIER"))
    api_rate_limit_window_seconds: int = Field(default=900,
        validation_alias=_aliases("api_rate_limit_window_seconds", "RATE_LIMIT_WINDOW_SECONDS"))

    # --- images --------------------------------------------------------------------------
    max_image_size: int = 20 * 1024 * 1024
    max_image_dimension: int = 4096
    max_json_body_size: int = 1024 * 1024
    image_quality: int = Field(default=90, ge=1, le=100)
    thumbnail_quality: int = Field(default=80, ge=1, le=100)
    perceptual_hash_size: int = 16
    cache_ttl_generation: int = 31_536_000
    cache_ttl_reference: int = 86_400

    # --- demo data -------------------------------------------------------------------------
    demo_admin_email: str = DEFAULT_DEMO_EMAILS[0]
    demo_admin_password: SecretStr = SecretStr("dreampixel-admin")
    demo_user_email: str = DEFAULT_DEMO_EMAILS[1]
    demo_user_password: SecretStr = SecretStr("dreampixel-demo")

    @field_validator("ai_provider", mode="before")
    @classmethod
    def _empty_ai_provider_is_automatic(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_parse(cls, value: str) -> str:
        parse_trusted_proxies(value)
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment is not Environment.PRODUCTION:
            return self
        weak = [
            name
            for name in ("session_secret", "jwt_secret")
            if getattr(self, name).get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
            or len(getattr(self, name).get_secret_value()) < 32
        ]
        if weak:
            names = ", ".join(n.upper() for n in weak)
            raise ValueError(
                f"{names} must be set to a random value of at least 32 characters in production "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @model_validator(mode="after")
    def _refuse_loopback_webhooks_in_production(self) -> Settings:
        # Loopback targets would let any user make the server call its own internal services.
        if self.environment is Environment.PRODUCTION and self.webhooks_allow_loopback:
            raise ValueError("WEBHOOKS_ALLOW_LOOPBACK is for development only; unset it in production.")
        return self

    @model_validator(mode="after")
    def _generate_secrets_outside_production(self) -> Settings:
        # A placeholder secret is public: outside production, one made for this installation
        # (kept in DATA_DIR so every process and restart shares it) replaces it.
        if self.environment is Environment.PRODUCTION:
            return self
        for name in ("session_secret", "jwt_secret"):
            if getattr(self, name).get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                setattr(self, name, SecretStr(_installation_secret(self.data_path / f".{name}")))
        return self

    @model_validator(mode="after")
    def _refuse_development_defaults_beside_real_engines(self) -> Settings:
        # With PostgreSQL or Redis, production runs as several processes or machines: files on
        # one machine's disk and mail written to its outbox directory reach nobody else.
        if self.environment is not Environment.PRODUCTION:
            return self
        engines = [name for name, used in (("DATABASE_URL (PostgreSQL)", self.sqlalchemy_url.startswith("postgresql")),
                                           ("REDIS_URL", bool(self.redis_url))) if used]
        if not engines:
            return self
        missing = []
        if not self.s3_enabled:
            missing.append("S3_BUCKET_IMAGES (images would stay on this machine's disk)")
        if not (self.smtp_enabled or self.resend_enabled):
            missing.append("SMTP_HOST or RESEND_API_KEY (mail would only be written to the outbox directory)")
        if missing:
            raise ValueError(
                f"{' and '.join(engines)} set in production, but not {'; nor '.join(missing)}. "
                "Configure them, or run without ENVIRONMENT=production."
            )
        return self

    def demo_emails(self) -> tuple[str, ...]:
        """The demo accounts' addresses: the configured ones and the shipped defaults."""
        return tuple(dict.fromkeys(email.lower() for email in (
            self.demo_admin_email, self.demo_user_email, *DEFAULT_DEMO_EMAILS)))

    # --- derived values ------------------------------------------------------------------
    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_path / 'dreampixel.db'}"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def proxies(self) -> TrustedProxies:
        return parse_trusted_proxies(self.trusted_proxies)

    @property
    def allowed_origins(self) -> list[str]:
        """The app's own origins: CORS_ALLOWED_ORIGINS, or PUBLIC_URL's origin.

        Without PUBLIC_URL the app is served on this machine, so both loopback names count.
        """
        if self.cors_allowed_origins.strip():
            return [o.strip().rstrip("/").lower() for o in self.cors_allowed_origins.split(",") if o.strip()]
        if self.public_url:
            scheme, _, rest = self.base_url.partition("://")
            return [f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"]
        return [f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"]

    @property
    def storage_dir(self) -> Path:
        return self.data_path / "storage"

    @property
    def outbox_dir(self) -> Path:
        return self.data_path / "outbox"

    @property
    def s3_enabled(self) -> bool:
        return bool(self.s3_bucket_images)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host)

    @property
    def resend_enabled(self) -> bool:
        return bool(self.resend_api_key.get_secret_value())

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key.get_secret_value() and self.stripe_webhook_secret.get_secret_value())

    @property
    def google_oauth_enabled(self) -> bool:
        return bool(self.google_client_id and self.google_client_secret.get_secret_value())

    @property
    def github_oauth_enabled(self) -> bool:
        return bool(self.github_client_id and self.github_client_secret.get_secret_value())

    @property
    def provider_keys(self) -> dict[ProviderName, bool]:
        """Which providers have what they need to be called."""
        return {
            ProviderName.LOCAL: True,
            ProviderName.GEMINI: bool(self.gemini_api_key.get_secret_value()),
            ProviderName.STABILITY: bool(self.stability_api_key.get_secret_value()),
            ProviderName.REPLICATE: bool(self.replicate_api_token.get_secret_value()),
        }

    @property
    def provider_fallback_order(self) -> list[ProviderName]:
        order = [ProviderName(p.strip()) for p in self.provider_order.split(",") if p.strip()]
        return [p for p in order if self.provider_keys.get(p)]

    def features(self) -> dict[str, str]:
        """One line per optional service: what is in use, or why a feature is off."""
        return {
            "database": "postgresql" if self.sqlalchemy_url.startswith("postgresql") else "sqlite (embedded)",
            "jobs": "redis + arq" if self.redis_url else "in-process (set REDIS_URL to use arq workers)",
            "storage": "s3" if self.s3_enabled else "local directory (set S3_BUCKET_IMAGES to use S3)",
            "email": "smtp" if self.smtp_enabled else "resend" if self.resend_enabled else "outbox directory (set SMTP_HOST or RESEND_API_KEY to send)",
            "billing": "stripe" if self.stripe_enabled else "off (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET)",
            "google sign-in": "on" if self.google_oauth_enabled else "off (set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET)",
            "github sign-in": "on" if self.github_oauth_enabled else "off (set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET)",
            "providers": ", ".join(p.value for p, ok in self.provider_keys.items() if ok),
        }

    def generation_limit(self, tier: str) -> tuple[int, int]:
        """(generations allowed, window in seconds) for a tier name."""
        tier = tier.lower()
        return getattr(self, f"generation_limit_{tier}"), getattr(self, f"generation_window_{tier}_seconds")

    def credit_allowance(self, tier: str) -> int:
        """Credits a tier grants per period."""
        value: int = getattr(self, f"credits_{tier.lower()}_monthly")
        return value

    def api_rate_limit(self, tier: str) -> tuple[int, int]:
        """(requests allowed, window in seconds) for a tier name."""
        return getattr(self, f"api_rate_limit_{tier.lower()}"), self.api_rate_limit_window_seconds


def known_variables() -> frozenset[str]:
    """Every environment name a setting is read from: field names and their aliases, upper case."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.add(name.upper())
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice).upper() for choice in field.validation_alias.choices)
    return frozenset(names)


def _env_file_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    names = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, equals, _value = line.strip().removeprefix("export ").partition("=")
        if equals and name and not name.startswith("#"):
            names.append(name.strip())
    return names


def unknown_variables(environ: dict[str, str] | None = None, env_file: Path = Path(".env")) -> list[str]:
    """Names in the environment or `.env` that look like ours (OUR_PREFIXES) but no setting reads."""
    seen = {*(os.environ if environ is None else environ), *_env_file_names(env_file)}
    known = known_variables()
    return sorted(name for name in seen
                  if name.upper().startswith(OUR_PREFIXES) and name.upper() not in known)


settings = Settings()
