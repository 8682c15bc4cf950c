"""transparency: a marker of the aggregates' version, so the upgrade counts in an older log

Revision ID: 0017_aggregates_state
Revises: 0014_reports_aggregates
Create Date: 2026-12-02 14:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hustings.storage.types

revision: str = "0017_aggregates_state"
down_revision: str | Sequence[str] | None = "0014_reports_aggregates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    table = op.create_table(
        "transparency_aggregates_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rebuilt_through_seq", Seq, nullable=False),
        sa.Column("rebuilt_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_aggregates_state")),
    )
    # Version 0: never rebuilt from the log. Whatever was appended before 0014 (or since, by a
    # release that did not keep the aggregates) is not in them; `hustings.storage.database.upgrade`
    # rebuilds them once, right after this migration, and raises the version.
    op.bulk_insert(table, [{"id": 1, "version": 0, "rebuilt_through_seq": 0, "rebuilt_at": None}])


def downgrade() -> None:
    op.drop_table("transparency_aggregates_state")
