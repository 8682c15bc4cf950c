"""accounts: token ids, lifetimes and revocation; second factor; recovery codes; held logins

Tokens issued before this revision keep no expiry (``expires_at`` NULL, listed as "never") and
get a token id derived from their hash, so an admin can list and revoke them.

Revision ID: 0006_accounts
Revises: 0001_spine
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hustings.storage.types

revision: str = "0006_accounts"
down_revision: str | Sequence[str] | None = "0001_spine"
branch_labels: str | Sequence[str] | None = ("accounts",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_recovery_codes",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "code_hash", name=op.f("pk_account_recovery_codes")),
    )
    op.create_table(
        "login_challenges",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("next_path", sa.String(length=2000), nullable=False),
        sa.Column("expires_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_challenges_user_id_users")),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_login_challenges")),
    )
    with op.batch_alter_table("login_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_challenges_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_id", sa.String(length=24), nullable=True))
        batch_op.add_column(
            sa.Column("expires_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("revoked_at", hustings.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("revoked_by", sa.String(length=200), nullable=True))
    op.execute("UPDATE api_tokens SET token_id = 't_' || substr(token_hash, 1, 16) WHERE token_id IS NULL")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.alter_column("token_id", existing_type=sa.String(length=24), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_api_tokens_token_id"), ["token_id"])

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("second_factor_secret", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("second_factor_pending", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("second_factor_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("second_factor_last_step")
        batch_op.drop_column("second_factor_pending")
        batch_op.drop_column("second_factor_secret")

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_tokens_token_id"), type_="unique")
        batch_op.drop_column("revoked_by")
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("token_id")

    with op.batch_alter_table("login_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_challenges_user_id"))

    op.drop_table("login_challenges")
    op.drop_table("account_recovery_codes")
