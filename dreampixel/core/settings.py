"""The one place Dream Pixel reads its configuration from: the environment and `.env`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "changeme", "secret", "dev-secret"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ProviderName(StrEnum):
    LOCAL = "local"
    GEMINI = "gemini"
    STABILITY = "stability"
    REPLICATE = "replicate"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- the app ---------------------------------------------------------------------
    environment: Environment = Environment.DEVELOPMENT
    port: int = 3000
    public_url: str = ""
    data_dir: Path = Path("data")
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Keep warnings and errors in the error_logs table for the admin error viewer.
    error_log_capture: bool = True

    # --- database ----------------------------------------------------------------------
    database_url: str = ""
    database_pool_size: int = 10

    # --- secrets -------------------------------------------------------------------------
    session_secret: SecretStr = SecretStr("change-me")
    jwt_secret: SecretStr = SecretStr("change-me")

    # --- OAuth ---------------------------------------------------------------------------
    google_client_id: str = ""
    google_client_secret: SecretStr = SecretStr("")
    google_metadata_url: str = "https://accounts.google.com/.well-known/openid-configuration"
    github_client_id: str = ""
    github_client_secret: SecretStr = SecretStr("")
    github_base_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"

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

    # --- Stripe --------------------------------------------------------------------------
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_publishable_key: str = ""
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_price_pro_monthly: str = ""
    stripe_price_pro_yearly: str = ""
    stripe_price_enterprise: str = ""
    stripe_api_base: str = ""

    # --- object storage -------------------------------------------------------------------
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_region: str = "us-east-1"
    s3_endpoint_url: str = ""
    s3_bucket_images: str = ""
    s3_bucket_invoices: str = ""
    s3_presign_ttl_seconds: int = 3600
    cdn_base_url: str = ""

    # --- image providers -----------------------------------------------------------------
    ai_provider: ProviderName = ProviderName.LOCAL
    provider_order: str = "local,stability,replicate,gemini"
    gemini_api_key: SecretStr = SecretStr("")
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta"
    gemini_model: str = "gemini-3.1-flash-image"
    stability_api_key: SecretStr = SecretStr("")
    stability_base_url: str = "https://api.stability.ai"
    stability_endpoint: Literal["ultra", "core", "sd3"] = "core"
    replicate_api_token: SecretStr = SecretStr("")
    replicate_base_url: str = "https://api.replicate.com/v1"
    replicate_model: str = "black-forest-labs/flux-schnell"

    # --- generation -----------------------------------------------------------------------
    generation_max_retries: int = 3
    generation_timeout_seconds: int = 300
    generation_provider_timeout_seconds: int = 120
    generation_limit_free: int = 1
    generation_limit_pro: int = 100
    generation_limit_enterprise: int = 1000
    generation_window_free_seconds: int = 86_400
    generation_window_pro_seconds: int = 86_400
    generation_window_enterprise_seconds: int = 86_400
    max_prompt_length: int = 2000

    # --- API rate limits ------------------------------------------------------------------
    api_rate_limit_free: int = 100
    api_rate_limit_pro: int = 1000
    api_rate_limit_enterprise: int = 10_000
    api_rate_limit_window_seconds: int = 900

    # --- images --------------------------------------------------------------------------
    max_image_size: int = 20 * 1024 * 1024
    max_image_dimension: int = 4096
    image_quality: int = Field(default=90, ge=1, le=100)
    thumbnail_quality: int = Field(default=80, ge=1, le=100)
    perceptual_hash_size: int = 16
    cache_ttl_generation: int = 31_536_000
    cache_ttl_reference: int = 86_400

    # --- demo data -------------------------------------------------------------------------
    demo_admin_email: str = "admin@dreampixel.local"
    demo_admin_password: SecretStr = SecretStr("dreampixel-admin")
    demo_user_email: str = "demo@dreampixel.local"
    demo_user_password: SecretStr = SecretStr("dreampixel-demo")

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

    def api_rate_limit(self, tier: str) -> tuple[int, int]:
        """(requests allowed, window in seconds) for a tier name."""
        return getattr(self, f"api_rate_limit_{tier.lower()}"), self.api_rate_limit_window_seconds


settings = Settings()
