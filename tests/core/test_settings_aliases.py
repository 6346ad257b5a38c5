"""A `.env` written for the original product configures this one; stray names are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from dreampixel.core.settings import Settings, unknown_variables

ORIGINAL = {
    "REPLICATE_API_KEY": "r8_original", "AWS_ACCESS_KEY_ID": "AKIAORIGINAL", "AWS_SECRET_ACCESS_KEY": "s3cret",
    "AWS_REGION": "eu-west-3", "S3_BUCKET_NAME": "dp-images", "AWS_S3_INVOICE_BUCKET": "dp-invoices",
    "GENERATION_FREE_TIER_LIMIT": "7", "GENERATION_PRO_TIER_LIMIT": "70", "RATE_LIMIT_FREE": "11",
    "NEXTAUTH_URL": "https://pixels.example.com",
}


def test_the_original_variable_names_configure_todays_settings(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("S3_BUCKET_IMAGES", raising=False)  # the test run sets it empty
    for name, value in ORIGINAL.items():
        monkeypatch.setenv(name, value)
    loaded = Settings()
    assert loaded.replicate_api_token.get_secret_value() == "r8_original"
    assert (loaded.s3_access_key_id, loaded.s3_secret_access_key.get_secret_value(), loaded.s3_region) == (
        "AKIAORIGINAL", "s3cret", "eu-west-3")
    assert (loaded.s3_bucket_images, loaded.s3_bucket_invoices) == ("dp-images", "dp-invoices")
    assert (loaded.generation_limit_free, loaded.generation_limit_pro, loaded.api_rate_limit_free) == (7, 70, 11)
    assert loaded.public_url == "https://pixels.example.com"


def test_an_original_env_file_configures_todays_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("S3_BUCKET_IMAGES", raising=False)
    (tmp_path / ".env").write_text("S3_BUCKET_NAME=from-file\nGENERATION_FREE_TIER_LIMIT=3\n")
    loaded = Settings()
    assert (loaded.s3_bucket_images, loaded.generation_limit_free) == ("from-file", 3)


def test_todays_name_wins_over_the_original(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("S3_BUCKET_IMAGES", "today")
    monkeypatch.setenv("S3_BUCKET_NAME", "original")
    assert Settings().s3_bucket_images == "today"


def test_a_name_that_looks_like_ours_but_is_read_by_nothing_is_reported(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# comment\nSTRIPE_SECRET_KEYY=sk_test\nexport DEMO_USER_EMAIL=a@b.c\n")
    environ = {"GENERATION_LIMT_FREE": "2", "S3_BUCKET_NAME": "ok", "HOME": "/root", "GENERATION_LIMIT_PRO": "9"}
    assert unknown_variables(environ, tmp_path / ".env") == ["GENERATION_LIMT_FREE", "STRIPE_SECRET_KEYY"]
