"""transparency: the report's aggregates beside the log; the country and nation of each target

Revision ID: 0014_reports_aggregates
Revises: 0001_spine
Create Date: 2026-12-02 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hustings.storage.types

revision: str = "0014_reports_aggregates"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("transparency_aggregates",)
depends_on: str | Sequence[str] | None = None

Moment = hustings.storage.types.UTCDateTime
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _indexes(table: str, *columns: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("nation", sa.String(length=20), nullable=True))
    op.create_table(
        "transparency_items",
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("ingested_at", Moment(timezone=True), nullable=True),
        sa.Column("target_ids", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=40), nullable=False),
        sa.Column("first_report_at", Moment(timezone=True), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("first_takedown_at", Moment(timezone=True), nullable=True),
        sa.Column("hours_to_takedown", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_transparency_items")),
    )
    _indexes("transparency_items", "first_report_at", "ingested_at")
    op.create_table(
        "transparency_reports",
        sa.Column("seq", Seq, autoincrement=False, nullable=False),
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", Moment(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reporter_kind", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("automated_decision_at", Moment(timezone=True), nullable=True),
        sa.Column("ingested_at", Moment(timezone=True), nullable=True),
        sa.Column("target_ids", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transparency_reports")),
    )
    _indexes("transparency_reports", "message_id", "occurred_at")
    op.create_table(
        "transparency_decisions",
        sa.Column("seq", Seq, autoincrement=False, nullable=False),
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", Moment(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("after_automated", sa.Boolean(), nullable=False),
        sa.Column("after_notice", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transparency_decisions")),
    )
    _indexes("transparency_decisions", "message_id", "occurred_at")
    op.create_table(
        "transparency_appeals",
        sa.Column("seq", Seq, autoincrement=False, nullable=False),
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", Moment(timezone=True), nullable=False),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transparency_appeals")),
    )
    _indexes("transparency_appeals", "message_id", "occurred_at")
    op.create_table(
        "transparency_referrals",
        sa.Column("seq", Seq, autoincrement=False, nullable=False),
        sa.Column("referral_id", sa.String(length=120), nullable=False),
        sa.Column("occurred_at", Moment(timezone=True), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("first_send", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_transparency_referrals")),
    )
    _indexes("transparency_referrals", "referral_id", "occurred_at")
    # The aggregates start empty: an existing log is counted in by the upgrade itself, after
    # 0017_aggregates_state (`hustings.storage.database.upgrade`, docs/transparency.md).


def downgrade() -> None:
    for table in (
        "transparency_referrals",
        "transparency_appeals",
        "transparency_decisions",
        "transparency_reports",
        "transparency_items",
    ):
        op.drop_table(table)
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_column("nation")
        batch_op.drop_column("country")
