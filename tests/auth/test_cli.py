"""`hustings users ...` and `hustings tokens ...`: lifetimes, revocation, disabling, resets."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from hustings.cli.main import app
from hustings.clock import FixedClock
from hustings.errors import NotAuthenticated
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker
from tests.conftest import T0

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


@contextmanager
def services_under(env: dict[str, str], clock: FixedClock) -> Iterator[Services]:
    """Services on the CLI's own database under the secret keys `env` names, in one transaction."""
    settings = Settings(
        data_dir=Path(env["HUSTINGS_DATA_DIR"]),
        secret_key=SecretStr(env["HUSTINGS_SECRET_KEY"]),
        secret_key_previous=[SecretStr(k) for k in env.get("HUSTINGS_SECRET_KEY_PREVIOUS", "").split()],
    )
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            yield Services(session=session, settings=settings, clock=clock)
    finally:
        engine.dispose()


def test_after_a_key_rotation_rekey_second_factors_reseals_them_under_the_new_key(
    env: dict[str, str],
) -> None:
    old, new = hashlib.sha256(b"the key we had").hexdigest(), hashlib.sha256(b"the key we have").hexdigest()
    before = env | {"HUSTINGS_SECRET_KEY": old}
    run(before, "users", "add", "sam", "--role", "moderator", "--password", "the first passphrase")

    clock = FixedClock(T0)
    with services_under(before, clock) as services:
        sam = services.users.by_name("sam")
        assert sam is not None
        secret = services.accounts.start_enrolment(sam.id).secret
        services.accounts.confirm_enrolment(sam.id, pyotp.TOTP(secret).at(clock.now()))

    rotated = env | {"HUSTINGS_SECRET_KEY": new, "HUSTINGS_SECRET_KEY_PREVIOUS": old}
    clock.advance(minutes=1)
    with services_under(rotated, clock) as services:  # rotated, not yet resealed: sam still logs in
        held = services.accounts.begin_second_factor(sam, "/")
        assert (
            services.accounts.finish_second_factor(held, pyotp.TOTP(secret).at(clock.now()))[0].id == sam.id
        )
    code, out, _ = run(rotated, "rekey-second-factors")
    assert code == 0 and "resealed the second factor of 1 user(s)" in out

    clock.advance(minutes=1)
    with services_under(env | {"HUSTINGS_SECRET_KEY": new}, clock) as services:
        held = services.accounts.begin_second_factor(sam, "/")
        assert (
            services.accounts.finish_second_factor(held, pyotp.TOTP(secret).at(clock.now()))[0].id == sam.id
        )

    code, _, err = run(env | {"HUSTINGS_SECRET_KEY": old}, "rekey-second-factors")
    assert code == 2 and "HUSTINGS_SECRET_KEY_PREVIOUS" in err
