"""`hustings users ...` and `hustings tokens ...`: lifetimes, revocation, disabling, resets."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hustings.cli.main import app
from hustings.errors import NotAuthenticated
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker

runner = CliRunner()


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout, result.stderr


def authenticate(env: dict[str, str], token: str) -> str:
    """The user id the token authenticates, read from the CLI's own database."""
    settings = Settings(data_dir=Path(env["HUSTINGS_DATA_DIR"]), environment="test")
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as session:
            return Services(session=session, settings=settings).accounts.authenticate_token(token).id
    finally:
        engine.dispose()


def test_tokens_are_issued_with_a_lifetime_listed_and_revoked(env: dict[str, str]) -> None:
    code, out, _ = run(env, "users", "add", "sam", "--role", "moderator", "--days", "7")
    assert code == 0
    first = out.strip().splitlines()[-1]
    assert "expires" in out and first.startswith("hus_")
    code, out, _ = run(env, "users", "token", "sam", "--days", "1", "--label", "ingest bot")
    second = out.strip().splitlines()[-1]
    assert code == 0 and authenticate(env, second).startswith("u_")

    code, out, _ = run(env, "tokens", "list", "--user", "sam")
    rows = [line.split(maxsplit=4) for line in out.strip().splitlines()]
    assert code == 0 and len(rows) == 2 and {row[2] for row in rows} == {"active"}
    assert first not in out and second not in out  # ids and labels only, never tokens
    bot = next(row for row in rows if row[4] == "ingest bot")

    code, out, _ = run(env, "tokens", "revoke", bot[0], "--reason", "rotated")
    assert code == 0 and f"token {bot[0]} revoked" in out
    with pytest.raises(NotAuthenticated, match="revoked"):
        authenticate(env, second)
    assert authenticate(env, first).startswith("u_")

    code, _, err = run(env, "tokens", "revoke", "t_nothing")
    assert code == 2 and err.strip() == "error: token_id: no token 't_nothing'"
    code, _, err = run(env, "users", "token", "sam", "--days", "0")
    assert code == 2 and "--days" in err


def test_disabling_revokes_tokens_and_enabling_brings_none_back(env: dict[str, str]) -> None:
    _, out, _ = run(env, "users", "add", "sam", "--role", "triage")
    token = out.strip().splitlines()[-1]
    code, out, _ = run(env, "users", "disable", "sam", "--reason", "left")
    assert code == 0 and "disabled sam; revoked 1 token(s)" in out
    assert "disabled" in run(env, "users", "list")[1]
    with pytest.raises(NotAuthenticated, match="disabled"):
        authenticate(env, token)
    assert "already disabled" in run(env, "users", "disable", "sam")[1]

    code, out, _ = run(env, "users", "enable", "sam")
    assert code == 0 and "enabled sam" in out
    with pytest.raises(NotAuthenticated, match="revoked"):
        authenticate(env, token)
    assert {row.split()[2] for row in run(env, "tokens", "list")[1].strip().splitlines()} == {"revoked"}

    code, _, err = run(env, "users", "disable", "nobody")
    assert code == 2 and err.strip() == "error: name: no user called 'nobody'"


def test_an_operator_resets_a_password_and_a_second_factor(env: dict[str, str]) -> None:
    run(env, "users", "add", "sam", "--role", "analyst", "--password", "the first passphrase")
    code, out, _ = run(env, "users", "reset-password", "sam", "--password", "the second passphrase")
    assert code == 0 and "password of sam reset; 0 session(s) ended" in out
    code, out, _ = run(env, "users", "reset-second-factor", "sam", "--reason", "lost phone")
    assert code == 0 and "second factor of sam removed" in out
