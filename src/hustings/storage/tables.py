"""SQLAlchemy tables of the service spine. Rows stay here; the domain sees dataclasses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hustings.storage.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EventRow(Base):
    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(120))
    actor: Mapped[str] = mapped_column(String(200))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_id", "seq"),)


class StatusRow(Base):
    __tablename__ = "subject_status"

    subject_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    state: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    category: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(120))
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(120))
    cluster_id: Mapped[str | None] = mapped_column(String(120))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_status_queue", "subject_type", "state", "priority"),
        Index("ix_status_due", "subject_type", "state", "due_at"),
        Index("ix_status_category", "subject_type", "category", "state"),
        Index("ix_status_target", "target_id"),
        Index("ix_status_cluster", "cluster_id"),
        Index("ix_status_assignee", "assignee"),
    )


class AuthorRow(Base):
    __tablename__ = "authors"

    key: Mapped[str] = mapped_column(String(260), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str] = mapped_column(String(200), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followers: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageRow(Base):
    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    author_key: Mapped[str] = mapped_column(ForeignKey("authors.key"), index=True)
    in_reply_to_id: Mapped[str | None] = mapped_column(String(40), index=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    lang: Mapped[str | None] = mapped_column(String(20))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """Content warning, visibility, sensitive flag and references (`MessageDetails`); NULL when none."""

    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_messages_source_external_id"),)


class MessageTargetRow(Base):
    __tablename__ = "message_targets"

    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    target_ref: Mapped[str] = mapped_column(String(200), primary_key=True)
    target_id: Mapped[str | None] = mapped_column(ForeignKey("targets.id"), index=True)


class TargetRow(Base):
    __tablename__ = "targets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    party: Mapped[str | None] = mapped_column(String(120))
    constituency: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    country: Mapped[str | None] = mapped_column(String(2))
    """ISO 3166-1 alpha-2 (`GB` for the UK); see `hustings.places`."""
    nation: Mapped[str | None] = mapped_column(String(20))
    """For the UK: england, scotland, wales or northern_ireland."""


class TargetHandleRow(Base):
    __tablename__ = "target_handles"

    platform: Mapped[str] = mapped_column(String(40), primary_key=True)
    handle: Mapped[str] = mapped_column(String(200), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), index=True)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The second factor (hustings.auth.second_factor): secrets sealed with a SecretBox, never plain.
    second_factor_secret: Mapped[str | None] = mapped_column(String(300))
    second_factor_pending: Mapped[str | None] = mapped_column(String(300))
    second_factor_last_step: Mapped[int | None] = mapped_column(BigInteger)
    organisation: Mapped[str] = mapped_column(String(200), default="", server_default="")


class UserTargetRow(Base):
    __tablename__ = "user_targets"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    target_id: Mapped[str] = mapped_column(ForeignKey("targets.id"), primary_key=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_id: Mapped[str] = mapped_column(String(24), unique=True)
    """The public name of the token, for listing and revoking it (the hash is never shown)."""
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessLogRow(Base):
    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
