"""Migration 0006_accounts on a database that already has users and tokens: the old tokens get an id
(so they can be listed and revoked) and keep working, with no expiry, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, text

from hustings.auth.model import hash_token
from hustings.clock import FixedClock
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import alembic_config, make_sessionmaker, upgrade
from tests.conftest import T0

OLD_TOKEN = "hus_issued-before-tokens-expired"


def test_tokens_from_before_the_migration_get_an_id_and_keep_working(
    bare_engine: Engine, tmp_path: Path
) -> None:
    command.upgrade(alembic_config(bare_engine), "0001_spine")
    with bare_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, name, display_name, roles, disabled, created_at) "
                "VALUES ('u_old', 'old', 'old', '[\"triage\"]', false, :at)"
            ),
            {"at": T0.replace(tzinfo=None)},
        )
        connection.execute(
            text(
                "INSERT INTO api_tokens (token_hash, user_id, label, created_at) "
                "VALUES (:hash, 'u_old', 'before', :at)"
            ),
            {"hash": hash_token(OLD_TOKEN), "at": T0.replace(tzinfo=None)},
        )
    upgrade(bare_engine)

    settings = Settings(environment="test", data_dir=tmp_path, log_json=False)
    with make_sessionmaker(bare_engine)() as session:
        services = Services(session=session, settings=settings, clock=FixedClock(T0))
        assert services.accounts.authenticate_token(OLD_TOKEN).id == "u_old"
        (token,) = services.accounts.tokens("u_old")
        assert token.id == "t_" + hash_token(OLD_TOKEN)[:16] and token.expires_at is None
        services.accounts.revoke_token(token.id, actor="cli:test")
        assert services.accounts.tokens("u_old")[0].state(T0) == "revoked"
