"""Settings: secrets never printed, the placeholder secret refused in production."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from hustings.settings import Settings


def test_secrets_are_hidden_from_repr() -> None:
    settings = Settings(
        secret_key=SecretStr("s3cret-value-xyz"), database_url=SecretStr("postgresql://u:hunter2@db/h")
    )
    shown = repr(settings) + str(settings) + str(settings.model_dump())
    assert "s3cret-value-xyz" not in shown
    assert "hunter2" not in shown


def test_the_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="HUSTINGS_SECRET_KEY"):
        Settings(environment="production")
    Settings(environment="production", secret_key=SecretStr("a-long-random-production-secret"))


def test_postgres_urls_get_the_psycopg_driver(tmp_path: object) -> None:
    assert (
        Settings(database_url=SecretStr("postgresql://u@h/db")).sqlalchemy_url
        == "postgresql+psycopg://u@h/db"
    )
    assert Settings(data_dir=tmp_path).sqlalchemy_url.startswith("sqlite:///")
