"""Settings: defaults, the .env.example contract, and the refusal of placeholder secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from dreampixel.core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text().splitlines()
    documented = {}
    for number, line in enumerate(lines):
        match = re.match(r"^([A-Z0-9_]+)=", line)
        if match:
            documented[match.group(1)] = lines[number - 1]
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented.keys() == set(), "settings missing from .env.example"
    assert documented.keys() - fields == set(), ".env.example names settings that do not exist"
    for name, comment in documented.items():
        assert comment.startswith("# "), f"{name} has no one-line comment above it"


def test_documented_defaults_match_the_product() -> None:
    s = Settings(_env_file=None)
    assert (s.port, s.max_image_size, s.max_image_dimension) == (3000, 20 * 1024 * 1024, 4096)
    assert (s.image_quality, s.thumbnail_quality, s.perceptual_hash_size) == (90, 80, 16)
    assert s.generation_limit("FREE") == (1, 86_400)
    assert s.generation_limit("PRO") == (100, 86_400)
    assert s.generation_limit("ENTERPRISE") == (1000, 86_400)
    assert [s.api_rate_limit(t) for t in ("FREE", "PRO", "ENTERPRISE")] == [(100, 900), (1000, 900), (10_000, 900)]


def test_embedded_defaults_need_no_services(tmp_path: Path) -> None:
    s = Settings(_env_file=None, data_dir=tmp_path)
    assert s.sqlalchemy_url == f"sqlite:///{tmp_path / 'dreampixel.db'}"
    features = s.features()
    assert features["jobs"].startswith("in-process")
    assert features["storage"].startswith("local")
    assert features["email"].startswith("outbox")
    assert features["billing"].startswith("off")
    assert s.provider_fallback_order == [p for p in s.provider_fallback_order if s.provider_keys[p]]


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError, match="SESSION_SECRET, JWT_SECRET"):
        Settings(_env_file=None, environment="production")
    with pytest.raises(ValidationError, match="JWT_SECRET"):
        Settings(_env_file=None, environment="production", session_secret="x" * 40, jwt_secret="short")


def test_production_accepts_real_secrets() -> None:
    s = Settings(_env_file=None, environment="production", session_secret="s" * 40, jwt_secret="j" * 40)
    assert s.environment == "production"


STRONG = {"session_secret": "s" * 40, "jwt_secret": "j" * 40}


def test_outside_production_a_placeholder_secret_becomes_a_random_one_kept_with_the_data(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path / "a", session_secret="change-me", jwt_secret="")
    again = Settings(_env_file=None, data_dir=tmp_path / "a", session_secret="change-me", jwt_secret="")
    elsewhere = Settings(_env_file=None, data_dir=tmp_path / "b", session_secret="change-me", jwt_secret="")

    secret = first.session_secret.get_secret_value()
    assert secret != "change-me" and len(secret) >= 32
    assert len(first.jwt_secret.get_secret_value()) >= 32 and first.jwt_secret != first.session_secret
    assert again.session_secret == first.session_secret, "every process and restart shares it"
    assert elsewhere.session_secret != first.session_secret
    assert (tmp_path / "a" / ".session_secret").stat().st_mode & 0o077 == 0, "readable by its owner only"


def test_production_with_postgresql_refuses_images_on_local_disk() -> None:
    with pytest.raises(ValidationError, match="S3_BUCKET_IMAGES"):
        Settings(_env_file=None, environment="production", database_url="postgresql://dp@db/dreampixel",
                 smtp_host="mail.example", **STRONG)


def test_production_with_redis_refuses_mail_written_to_the_outbox() -> None:
    with pytest.raises(ValidationError, match="SMTP_HOST or RESEND_API_KEY"):
        Settings(_env_file=None, environment="production", redis_url="redis://cache:6379/0",
                 s3_bucket_images="images", **STRONG)


def test_a_configured_service_switches_its_feature_on() -> None:
    s = Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0", s3_bucket_images="images",
                 smtp_host="mail.example", stripe_secret_key="sk_test_x", stripe_webhook_secret="whsec_x",
                 stability_api_key="sk-x")
    features = s.features()
    assert features["jobs"] == "redis + arq"
    assert (features["storage"], features["email"], features["billing"]) == ("s3", "smtp", "stripe")
    assert "stability" in features["providers"]


def test_production_refuses_loopback_webhook_targets() -> None:
    with pytest.raises(ValidationError, match="WEBHOOKS_ALLOW_LOOPBACK"):
        Settings(_env_file=None, environment="production", session_secret="s" * 40, jwt_secret="j" * 40,
                 webhooks_allow_loopback=True)
    assert Settings(_env_file=None, webhooks_allow_loopback=True).webhooks_allow_loopback
