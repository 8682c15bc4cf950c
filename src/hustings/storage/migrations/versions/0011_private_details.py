"""private details: each target's register of private details, sealed at rest

Its own branch off the spine, as every concept's migrations are (`upgrade` goes to "heads").

Revision ID: 0011_private_details
Revises: 0001_spine
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hustings.storage.types

revision: str = "0011_private_details"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("private_details",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "private_details",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("added_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_private_details_target_id_targets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_details")),
    )
    with op.batch_alter_table("private_details", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_private_details_target_id"), ["target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("private_details", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_private_details_target_id"))
    op.drop_table("private_details")
