"""protection: the pile-on detector's state per target

Revision ID: 0005_protection
Revises: 0001_spine
Create Date: 2026-11-22 22:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import hustings.storage.types

revision: str = "0005_protection"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("protection",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "protection_detector_state",
        sa.Column("target_id", sa.String(length=40), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target_id", name=op.f("pk_protection_detector_state")),
    )


def downgrade() -> None:
    op.drop_table("protection_detector_state")
