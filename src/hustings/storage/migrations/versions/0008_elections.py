"""elections: the candidacy index (elections and candidates themselves are events and statuses)

Its own branch off the spine, as every concept's migrations are (`upgrade` goes to "heads"), so
it needs no re-chaining when other concepts add revisions beside it.

Revision ID: 0008_elections
Revises: 0001_spine
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_elections"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("elections",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "election_candidacies",
        sa.Column("ballot_paper_id", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("election_id", sa.String(length=200), nullable=False),
        sa.Column("target_id", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"], ["targets.id"], name=op.f("fk_election_candidacies_target_id_targets")
        ),
        sa.PrimaryKeyConstraint("ballot_paper_id", "person_id", name=op.f("pk_election_candidacies")),
    )
    with op.batch_alter_table("election_candidacies", schema=None) as batch_op:
        batch_op.create_index("ix_election_candidacies_election", ["election_id", "state"], unique=False)
        batch_op.create_index("ix_election_candidacies_person", ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_election_candidacies_target_id"), ["target_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("election_candidacies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_election_candidacies_target_id"))
        batch_op.drop_index("ix_election_candidacies_person")
        batch_op.drop_index("ix_election_candidacies_election")
    op.drop_table("election_candidacies")
