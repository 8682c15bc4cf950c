"""Typed settings, read once from the environment (prefix ``HUSTINGS_``) by the app factory and CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "dev-only-change-me"  # noqa: S105 - a known placeholder, refused outside development


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("hustings", appauthor=False))


class Settings(BaseSettings):
    """Everything Hustings reads from its environment.

    Secrets are `SecretStr`, so they print as ``**********`` in `repr`, logs and tracebacks.
    """

    model_config = SettingsConfigDict(env_prefix="HUSTINGS_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: SecretStr | None = None
    """PostgreSQL (``postgresql+psycopg://...``) when set; otherwise embedded SQLite in `data_dir`."""
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    """Signs session cookies and derives the key that encrypts evidence packs at rest."""
    assess_on_ingest: bool = True
    max_ingest_batch: int = Field(default=1000, ge=1, le=10_000)
    cookie_secure: bool = False
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    log_level: str = "INFO"
    log_json: bool = True
    public_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() == PLACEHOLDER_SECRET:
            raise ValueError(
                "HUSTINGS_SECRET_KEY is the development placeholder; set a long random value in production"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL SQLAlchemy connects to (contains a password for PostgreSQL: never log it)."""
        if self.database_url is not None:
            url = self.database_url.get_secret_value()
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{self.data_dir / 'hustings.sqlite3'}"

    @property
    def database_kind(self) -> str:
        return "postgresql" if self.database_url is not None else "sqlite"
