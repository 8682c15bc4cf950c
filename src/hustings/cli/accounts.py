"""Account commands: disable and enable users, reset passwords and second factors, list and revoke tokens,
reseal second factors after a key rotation.

`hustings users add|list|token` live with the spine's commands in `main`; this module adds the
rest to the same `users` group and a `tokens` group of its own.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hustings.auth.model import User
from hustings.cli.common import cli_actor, cli_errors, fail, load_settings, out, unit_of_work
from hustings.services import Services

tokens_app = typer.Typer(help="List and revoke API tokens.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(help="Login name.")]
Reason = Annotated[str, typer.Option(help="Why, for the event log.")]


def _user(services: Services, name: str) -> User:
    user = services.users.by_name(name)
    if user is None:
        raise fail(f"name: no user called {name!r}")
    return user


@cli_errors
def users_disable(name: Name, reason: Reason = "") -> None:
    """Disable a user: their browser sessions end and their API tokens are revoked at once."""
    with unit_of_work(load_settings()) as services:
        user = _user(services, name)
        was = user.disabled
        tokens = [t.id for t in services.accounts.tokens(user.id) if t.revoked_at is None]
        services.accounts.disable(user.id, actor=cli_actor(), reason=reason)
    if was:
        out.print(f"{name} was already disabled", markup=False)
    else:
        out.print(f"disabled {name}; revoked {len(tokens)} token(s); their sessions ended", markup=False)


@cli_errors
def users_enable(name: Name, reason: Reason = "") -> None:
    """Enable a disabled user. Their old tokens stay revoked: issue a new one with `users token`."""
    with unit_of_work(load_settings()) as services:
        services.accounts.enable(_user(services, name).id, actor=cli_actor(), reason=reason)
    out.print(f"enabled {name}", markup=False)


@cli_errors
def users_reset_password(
    name: Name,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="The new password.")
    ],
    reason: Reason = "",
) -> None:
    """Set a new password for a user; every browser session of theirs ends."""
    with unit_of_work(load_settings()) as services:
        ended = services.accounts.reset_password(
            _user(services, name).id, new=password, actor=cli_actor(), reason=reason
        )
    out.print(f"password of {name} reset; {ended} session(s) ended", markup=False)


@cli_errors
def users_reset_second_factor(name: Name, reason: Reason = "") -> None:
    """Remove a user's second factor and recovery codes (e.g. a lost phone); they may enrol again."""
    with unit_of_work(load_settings()) as services:
        services.accounts.reset_second_factor(_user(services, name).id, actor=cli_actor(), reason=reason)
    out.print(f"second factor of {name} removed", markup=False)


@tokens_app.command("list")
@cli_errors
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens (login name).")] = None,
) -> None:
    """List API tokens: id, user, state, expiry, label. The tokens themselves are never shown."""
    with unit_of_work(load_settings()) as services:
        owner = _user(services, user) if user else None
        names = {u.id: u.name for u in services.users.all()}
        now = services.clock.now()
        for token in services.accounts.tokens(owner.id if owner else None):
            expires = f"{token.expires_at:%Y-%m-%d}" if token.expires_at else "never"
            out.print(
                f"{token.id}\t{names.get(token.user_id, token.user_id)}\t{token.state(now)}\t{expires}\t{token.label}",
                markup=False,
            )


@tokens_app.command("revoke")
@cli_errors
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (t_...), from `hustings tokens list`.")],
    reason: Reason = "",
) -> None:
    """Revoke an API token: the next request with it is refused (401)."""
    with unit_of_work(load_settings()) as services:
        token = services.accounts.revoke_token(token_id, actor=cli_actor(), reason=reason)
    out.print(f"token {token.id} revoked", markup=False)


@cli_errors
def rekey_second_factors() -> None:
    """Seal every stored second-factor secret under HUSTINGS_SECRET_KEY (after a key rotation).

    Each must open under HUSTINGS_SECRET_KEY or a key in HUSTINGS_SECRET_KEY_PREVIOUS; afterwards
    the previous keys are no longer needed for second factors.
    """
    with unit_of_work(load_settings()) as services:
        count = services.accounts.reseal_second_factors()
    out.print(
        f"resealed the second factor of {count} user(s) under the current HUSTINGS_SECRET_KEY", markup=False
    )


def register(app: typer.Typer) -> None:
    from hustings.cli.main import users_app

    users_app.command("disable")(users_disable)
    users_app.command("enable")(users_enable)
    users_app.command("reset-password")(users_reset_password)
    users_app.command("reset-second-factor")(users_reset_second_factor)
    app.add_typer(tokens_app, name="tokens")
    app.command("rekey-second-factors")(rekey_second_factors)
