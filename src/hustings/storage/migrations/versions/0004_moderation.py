"""moderation: the near-duplicate cluster index; indexes for a reporter's reports and for queues

Revision ID: 0004_moderation
Revises: 0001_spine
Create Date: 2026-11-22 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_moderation"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("moderation",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "moderation_cluster_members",
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("cluster_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_moderation_cluster_members")),
    )
    with op.batch_alter_table("moderation_cluster_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderation_cluster_members_cluster_id"), ["cluster_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_moderation_cluster_members_text_hash"), ["text_hash"], unique=False
        )
    op.create_table(
        "moderation_cluster_bands",
        sa.Column("band_key", sa.String(length=24), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("band_key", "message_id", name=op.f("pk_moderation_cluster_bands")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_kind_actor", ["kind", "actor", "seq"], unique=False)
    with op.batch_alter_table("subject_status", schema=None) as batch_op:
        batch_op.create_index(
            "ix_status_queue_cover",
            [
                "subject_type",
                "state",
                "priority",
                "due_at",
                "target_id",
                "category",
                "assignee",
                "subject_id",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_status", schema=None) as batch_op:
        batch_op.drop_index("ix_status_queue_cover")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_kind_actor")
    op.drop_table("moderation_cluster_bands")
    with op.batch_alter_table("moderation_cluster_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderation_cluster_members_text_hash"))
        batch_op.drop_index(batch_op.f("ix_moderation_cluster_members_cluster_id"))
    op.drop_table("moderation_cluster_members")
