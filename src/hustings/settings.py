"""Typed settings, read once from the environment (prefix ``HUSTINGS_``) by the app factory and CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, FilePath, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from hustings.detect.assessment import threshold_for

PLACEHOLDER_SECRET = "dev-only-change-me"  # noqa: S105 - a known placeholder, refused outside development
SECRET_MIN_BYTES = 32
SECRET_MIN_GUESSES_LOG10 = 36
"""zxcvbn's floor for a production secret: 43 characters of `secrets.token_urlsafe(32)` rate about
10^43, 16 bytes in hex about 10^32, a sentence or a pattern far less."""


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("hustings", appauthor=False))


class Settings(BaseSettings):
    """Everything Hustings reads from its environment.

    Secrets are `SecretStr`, so they print as ``**********`` in `repr`, logs and tracebacks, and a
    value that fails validation is left out of the error.
    """

    model_config = SettingsConfigDict(
        env_prefix="HUSTINGS_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: SecretStr | None = None
    """PostgreSQL (``postgresql+psycopg://...``) when set; otherwise embedded SQLite in `data_dir`."""
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    """Signs the login form's and devices' cookies and derives the key that encrypts evidence
    packs at rest. In production: at least 32 random bytes (see `secret_key_problem`)."""
    secret_key_previous: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    """Keys `secret_key` replaced, newest first: evidence packs and second-factor secrets encrypted
    under them still open."""
    mastodon_access_token: SecretStr | None = None
    """The access token `hustings connect mastodon` reads the target's own account with (scope
    ``read:notifications``); sent in the Authorization header only, never in a URL or a log."""
    imap_password: SecretStr | None = None
    """The mailbox password `hustings connect imap` logs in with; sent only inside the IMAP
    session (TLS unless the server is on this machine), never in an argument or a log."""
    imap_ca_file: FilePath | None = None
    """A PEM file of CA certificates that `hustings connect imap` trusts for the server's
    certificate instead of the system's: for an office's own mail server with a private CA.
    Certificates are always verified; there is no setting that turns that off."""
    assess_on_ingest: bool = True
    detect_thresholds: Annotated[dict[str, float], NoDecode] = Field(default_factory=dict)
    """Per-label thresholds that replace the shipped model's, e.g. ``abuse=0.3`` or ``{"abuse": 0.3}``.

    Labels left out keep the model's own threshold (its documented operating point)."""
    max_ingest_batch: int = Field(default=1000, ge=1, le=10_000)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024, le=1024 * 1024 * 1024)
    """The largest request body taken from a caller whose token or session belongs to a live user
    (a larger one is a 413); any other request may send 64 KiB
    (`hustings.web.middleware.ANONYMOUS_BODY_BYTES`)."""
    cookie_secure: bool = False
    """Send the session cookie over HTTPS only; on by default in production (see `_secure_cookie_in_production`)."""
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    token_days: int = Field(default=90, ge=1, le=3650)
    """How long an API token lives when whoever issues it names no lifetime."""
    log_level: str = "INFO"
    log_json: bool = True
    public_url: str = "http://127.0.0.1:8000"
    organisation: str = ""
    """The organisation running this installation, named beside each person in an evidence
    pack's chain of custody (e.g. ``Fenshire Council elections office``)."""
    dsa_api_url: str | None = None
    """The EU DSA Transparency Database's base URL for `hustings dsa-export --submit`
    (e.g. ``https://transparency.dsa.ec.europa.eu``; its sandbox for trials)."""
    dsa_api_token: SecretStr | None = None
    """The platform's API token for the Transparency Database; never logged or shown."""
    broker_url: SecretStr | None = None
    """NATS with JetStream (``nats://host:4222``, several servers separated by commas) when set:
    ingest publishes each validated message to the stream and `hustings worker` stores and
    assesses it. Unset: everything runs in process (see docs/deploy.md)."""
    broker_partitions: int = Field(default=8, ge=1, le=1024)
    """Subjects messages are spread over by target; fixed for the life of a stream."""
    broker_replicas: int = Field(default=1, ge=1, le=5)
    """Copies JetStream keeps of the stream and its consumers: 3 on a three-node NATS cluster."""
    broker_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    """How long ingest waits for the broker to acknowledge a publish before answering 503."""
    worker_batch: int = Field(default=200, ge=1, le=10_000)
    """Messages a worker fetches, assesses and commits at a time (also each partition's
    max_ack_pending, which keeps a partition's messages in order across a redelivery)."""
    worker_lease_seconds: float = Field(default=15.0, ge=1, le=3600)
    """How long a partition stays with a worker that stops renewing its lease."""
    worker_ack_wait_seconds: float = Field(default=60.0, ge=1, le=3600)
    """How long a fetched, unacknowledged message waits before JetStream redelivers it."""
    worker_change_retry_seconds: float = Field(default=2.0, gt=0, le=3600)
    """How long a worker hands back an edit or deletion whose message it does not hold yet
    (still on its partition) before receiving it again."""
    worker_change_attempts: int = Field(default=60, ge=1, le=10_000)
    """Deliveries of such a change before it is recorded as rejected (logged and counted,
    ``hustings_worker_changes_rejected_total``): with the defaults, about two minutes."""
    detect_threads: int = Field(default=0, ge=0, le=256)
    """Threads the detector runs on (0: one per CPU); read by the detector as HUSTINGS_DETECT_THREADS.
    Hold each worker to 1 where several share a machine."""
    clock_sweep_seconds: float = Field(default=60.0, ge=0, le=86_400)
    """How often `hustings serve` raises the alerts for items past their statutory clock (0: never)."""
    timezone: str = "Europe/London"
    """The time zone the interface shows times in (an IANA name); Hustings stores UTC."""
    smtp_host: str | None = None
    """The SMTP server notifications are e-mailed through; unset: in the app only."""
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_from: str = "hustings@localhost"
    """The From address of notification e-mails."""
    smtp_tls: bool = True
    """STARTTLS before sending (and before logging in); turn off only for a server on this machine."""
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    notify_clock_hours: float = Field(default=2.0, gt=0, le=168)
    """How long before an item's statutory clock runs out its moderators are notified."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not a time zone this machine knows: {value!r} (e.g. Europe/London)") from None
        return value

    @field_validator("detect_thresholds", mode="before")
    @classmethod
    def _parse_thresholds(cls, value: object) -> object:
        """Accept a JSON object or ``label=value`` pairs separated by commas; check labels and range."""
        return parse_thresholds(value)

    @field_validator("secret_key")
    @classmethod
    def _strong_secret_in_production(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("environment") == "production":
            problem = secret_key_problem(value.get_secret_value())
            if problem:
                raise ValueError(f"HUSTINGS_SECRET_KEY {problem}")
        return value

    @field_validator("secret_key_previous", mode="before")
    @classmethod
    def _split_previous_secrets(cls, value: object) -> object:
        """Several old keys in one variable, separated by commas or whitespace."""
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    def previous_secrets(self) -> tuple[str, ...]:
        """The old keys' values, newest first (for reading what they encrypted, never for writing)."""
        return tuple(key.get_secret_value() for key in self.secret_key_previous)

    @model_validator(mode="after")
    def _secure_cookie_in_production(self) -> Settings:
        if self.environment == "production" and "cookie_secure" not in self.model_fields_set:
            self.cookie_secure = True
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


def secret_key_problem(secret: str) -> str | None:
    """Why `secret` is unfit to be the production secret key, or None when it will do.

    It must be at least 32 bytes and look random: zxcvbn must estimate at least 10^36 guesses
    for it, which a word, a phrase, a keyboard pattern or 16 bytes written in hex do not reach.
    """
    if not secret.strip():
        return "is empty; set it to at least 32 random bytes, e.g. the output of `openssl rand -base64 32`"
    if PLACEHOLDER_SECRET in secret:
        return "is the development placeholder; set it to at least 32 random bytes, e.g. `openssl rand -base64 32`"
    size = len(secret.encode("utf-8"))
    if size < SECRET_MIN_BYTES:
        return f"is {size} bytes; it must be at least {SECRET_MIN_BYTES} random bytes, e.g. `openssl rand -base64 32`"
    from zxcvbn import zxcvbn

    if zxcvbn(secret[:100])["guesses_log10"] < SECRET_MIN_GUESSES_LOG10:
        return "does not look random (a word, phrase or pattern); use `openssl rand -base64 32`"
    return None


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
