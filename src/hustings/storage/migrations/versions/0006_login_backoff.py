"""login: back-off state after failed logins

Revision ID: 0006_login_backoff
Revises: 0001_spine
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hustings.storage.types

revision: str = "0006_login_backoff"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("login",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_backoff",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("updated_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", hustings.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_backoff")),
    )
    op.create_index(op.f("ix_login_backoff_updated_at"), "login_backoff", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_backoff_updated_at"), table_name="login_backoff")
    op.drop_table("login_backoff")
