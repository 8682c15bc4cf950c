"""Typed settings, read once from the environment (prefix ``HUSTINGS_``) by the app factory and CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hustings.detect.assessment import threshold_for

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
    detect_thresholds: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    """Per-label thresholds that replace the shipped model's, e.g. ``abuse=0.3`` or ``{"abuse": 0.3}``.

    Labels left out keep the model's own threshold (its documented operating point)."""
    max_ingest_batch: int = Field(default=1000, ge=1, le=10_000)
    cookie_secure: bool = False
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    log_level: str = "INFO"
    log_json: bool = True
    public_url: str = "http://127.0.0.1:8000"
    clock_sweep_seconds: float = Field(default=60.0, ge=0, le=86_400)
    """How often `hustings serve` raises the alerts for items past their statutory clock (0: never)."""

    @field_validator("detect_thresholds", mode="before")
    @classmethod
    def _parse_thresholds(cls, value: object) -> object:
        """Accept a JSON object or ``label=value`` pairs separated by commas; check labels and range."""
        return parse_thresholds(value)

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


def parse_thresholds(value: object) -> dict[str, float]:
    """Per-label thresholds from a mapping, a JSON object or ``label=value,label=value``.

    Raises `ValueError` naming the label or pair at fault: an unknown label, a value that is not
    a number, or one outside 0..1.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                raise ValueError(f"not a valid JSON object: {error.msg} at column {error.colno}") from None
        else:
            pairs: dict[str, object] = {}
            for pair in text.split(","):
                label, sep, number = pair.partition("=")
                if not sep:
                    raise ValueError(f"{pair.strip()!r} is not label=value (e.g. abuse=0.3)")
                pairs[label.strip()] = number.strip()
            value = pairs
    if not isinstance(value, dict):
        raise ValueError("expected label=value pairs or a JSON object of label to threshold")
    checked = (threshold_for(str(key), number) for key, number in value.items())
    return {label.value: threshold for label, threshold in checked}
