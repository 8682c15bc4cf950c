"""complaint keys: each case's own key, sealed at rest, deleted to erase its personal data

Its own branch off the spine, as every concept's migrations are (`upgrade` goes to "heads").

Revision ID: 0016_complaint_keys_complaints
Revises: 0001_spine
Create Date: 2026-12-02 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hustings.storage.types

revision: str = "0016_complaint_keys_complaints"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("complaint_keys",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_keys",
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_complaint_keys")),
    )


def downgrade() -> None:
    op.drop_table("complaint_keys")
