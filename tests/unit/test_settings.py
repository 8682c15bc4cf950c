"""Settings: secrets never printed, the placeholder secret refused in production."""

from __future__ import annotations

import base64
import hashlib

import pytest
from pydantic import SecretStr, ValidationError

from hustings.settings import PLACEHOLDER_SECRET, Settings

# 32 fixed bytes that look like any random ones, so the test never depends on a draw.
KEY_BYTES = hashlib.sha256(b"hustings test secret").digest()


def test_secrets_are_hidden_from_repr() -> None:
    settings = Settings(
        secret_key=SecretStr("s3cret-value-xyz"), database_url=SecretStr("postgresql://u:hunter2@db/h")
    )
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    assert "s3cret-value-xyz" not in shown
    assert "hunter2" not in shown


def test_the_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="HUSTINGS_SECRET_KEY is the development placeholder"):
        Settings(environment="production")
    Settings(environment="production", secret_key=SecretStr(KEY_BYTES.hex()))


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("x", "is 1 bytes; it must be at least 32 random bytes"),
        ("a-long-random-production-secret", "is 31 bytes"),
        ("dev-only-change-me-dev-only-change-me", "is the development placeholder"),
        ("a" * 40, "does not look random"),
        ("correct horse battery staple and more words", "does not look random"),
        ("0123456789abcdef" * 3, "does not look random"),
        (KEY_BYTES[:16].hex(), "does not look random"),  # 16 random bytes, not 32
    ],
)
def test_a_weak_production_secret_is_refused_naming_the_setting(secret: str, problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(environment="production", secret_key=SecretStr(secret))
    assert raised.value.errors()[0]["loc"] == ("secret_key",)
    assert f"HUSTINGS_SECRET_KEY {problem}" in str(raised.value)
    if secret.strip():
        assert secret not in str(raised.value)  # the refused value is never echoed


@pytest.mark.parametrize(
    "written",
    [
        base64.urlsafe_b64encode(KEY_BYTES).decode().rstrip("="),  # secrets.token_urlsafe(32)
        base64.b64encode(KEY_BYTES).decode(),  # openssl rand -base64 32
        KEY_BYTES.hex(),  # openssl rand -hex 32
    ],
)
def test_32_random_bytes_are_accepted_however_written(written: str) -> None:
    Settings(environment="production", secret_key=SecretStr(written))


def test_development_and_test_keep_the_placeholder() -> None:
    assert Settings().secret_key.get_secret_value() == PLACEHOLDER_SECRET
    assert Settings(environment="test", secret_key=SecretStr("x")).secret_key.get_secret_value() == "x"


def test_previous_secrets_are_read_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUSTINGS_SECRET_KEY_PREVIOUS", "second-newest, oldest")
    settings = Settings()
    assert settings.previous_secrets() == ("second-newest", "oldest")
    assert "second-newest" not in repr(settings)
    monkeypatch.setenv("HUSTINGS_SECRET_KEY_PREVIOUS", "")
    assert Settings().previous_secrets() == ()


def test_postgres_urls_get_the_psycopg_driver(tmp_path: object) -> None:
    assert (
        Settings(database_url=SecretStr("postgresql://u@h/db")).sqlalchemy_url
        == "postgresql+psycopg://u@h/db"
    )
    assert Settings(data_dir=tmp_path).sqlalchemy_url.startswith("sqlite:///")


def test_detector_thresholds_read_as_pairs_or_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", "abuse=0.3, threat = 0.1")
    assert Settings().detect_thresholds == {"abuse": 0.3, "threat": 0.1}
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", '{"identity_hate": 0.4}')
    assert Settings().detect_thresholds == {"identity_hate": 0.4}
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", "")
    assert Settings().detect_thresholds == {}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abus=0.3", "unknown label 'abus'"),
        ("abuse=1.3", "threshold for abuse is '1.3'; it must lie in 0..1"),
        ("abuse=high", "threshold for abuse is 'high', not a number"),
        ("abuse=0.3,threat", "'threat' is not label=value"),
        ('{"abuse": ', "not a valid JSON object"),
        ("[0.3]", "is not label=value"),
    ],
)
def test_bad_detector_thresholds_name_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    monkeypatch.setenv("HUSTINGS_DETECT_THRESHOLDS", value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert raised.value.errors()[0]["loc"] == ("detect_thresholds",)
    assert problem in str(raised.value)
