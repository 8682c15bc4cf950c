"""sources: the original record of each message read from a platform's own format, and the
message details (content warning, visibility, sensitive flag, references) a source gives

Messages stored before this revision have no details (NULL) and no original record.

Revision ID: 0007_original_records
Revises: 0001_spine
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import hustings.storage.types

revision: str = "0007_original_records"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("sources",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "details",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )
    op.create_table(
        "original_records",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("first_received_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_original_records")),
    )
    op.create_table(
        "message_origins",
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("record_sha256", sa.String(length=64), nullable=False),
        sa.Column("pointer", sa.String(length=200), nullable=False),
        sa.Column("converter", sa.String(length=80), nullable=False),
        sa.Column("converter_version", sa.String(length=20), nullable=False),
        sa.Column("source_time", hustings.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_origins_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["record_sha256"],
            ["original_records.sha256"],
            name=op.f("fk_message_origins_record_sha256_original_records"),
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_message_origins")),
    )
    with op.batch_alter_table("message_origins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_origins_record_sha256"), ["record_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message_origins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_origins_record_sha256"))
    op.drop_table("message_origins")
    op.drop_table("original_records")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("details")
