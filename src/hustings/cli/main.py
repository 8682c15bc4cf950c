"""The spine's commands: serve, demo, ingest, users, db, rebuild-status."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from hustings.auth.model import Role
from hustings.cli.common import (
    TokenDays,
    cli_actor,
    cli_errors,
    err,
    fail,
    lines_with_progress,
    load_settings,
    out,
    parse_json_line,
    ready_engine,
    stdin_lines,
    unit_of_work,
)
from hustings.cli.sources import IngestFormat, ingest_platform
from hustings.events import SYSTEM_ACTOR
from hustings.messages.changes import is_change, validate_changes
from hustings.messages.model import Rejection
from hustings.settings import Settings
from hustings.sources.tally import Tally

app = typer.Typer(
    name="hustings",
    help="Hustings: protect people in public life from intimidation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
users_app = typer.Typer(help="Manage users and their API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")

INGEST_BATCH = 500


@app.command()
@cli_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the web app and API (the schema is upgraded first), sweeping the statutory clocks
    every HUSTINGS_CLOCK_SWEEP_SECONDS."""
    import uvicorn

    from hustings.web.app import create_app

    settings = load_settings()
    engine = ready_engine(settings)
    out.print(f"Hustings on http://{host}:{port}  (database: {settings.database_kind})", markup=False)
    # log_config=None: uvicorn keeps our JSON handler; access_log=False: the app logs each request itself.
    uvicorn.run(
        create_app(settings, engine=engine, clock_sweep=True),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,
        access_log=False,
    )


@app.command()
@cli_errors
def demo(
    password: Annotated[str, typer.Option(help="Password for the demo users.")] = "demo-polling-day",  # noqa: S107 - demo data only
) -> None:
    """Create a database with fictional demo data and print the URL and login."""
    from hustings.demo import load_demo

    settings = load_settings()
    with unit_of_work(settings) as services:
        summary = load_demo(services, password=password)
    out.print(f"Demo data ready in the {settings.database_kind} database.", markup=False)
    for line in summary:
        out.print(f"  {line}", markup=False)
    from hustings.demo import logins

    out.print("Log in as any of these users (each has one role, or two):", markup=False)
    for line in logins(password):
        out.print(f"  {line}", markup=False)
    out.print(f"Open {settings.public_url}/ and log in as 'admin' with password '{password}'.", markup=False)


@app.command()
@cli_errors
def ingest(
    file: Annotated[str, typer.Argument(help="A file of messages, or - for standard input.")],
    format_: Annotated[
        IngestFormat,
        typer.Option(
            "--format",
            help="hustings: JSON Lines of Hustings messages; or a platform's own records "
            "(see docs/sources.md), each kept as received beside the message it gave.",
        ),
    ] = IngestFormat.HUSTINGS,
) -> None:
    """Ingest messages; bad lines or records are reported by number and the rest are stored."""
    settings = load_settings()
    engine = ready_engine(settings)
    if format_ is not IngestFormat.HUSTINGS:
        _ingest_platform(format_.value, file, settings, engine)
        return
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    rejections: list[Rejection] = []
    tally = Tally()
    changed: list[tuple[int, object]] = []
    """Lines that are edits or deletions at the source (`SourceChangeIn`), not messages."""

    def flush(batch: list[tuple[int, object]]) -> None:
        if not batch and not changed:
            return
        valid, refused = validate_changes([item for _, item in changed])
        with unit_of_work(settings, engine) as services:
            result = services.ingest([item for _, item in batch], actor=SYSTEM_ACTOR)
            # After the messages: an edit may be of a message earlier in the same batch.
            changes = services.record_changes([change for _, change in valid], actor=SYSTEM_ACTOR)
        tally.count_changes(changes)
        totals["accepted"] += result.accepted
        totals["duplicates"] += result.duplicates
        for rejection in result.rejected:
            rejections.append(Rejection(batch[rejection.index][0], rejection.error))
        for rejection in refused:
            rejections.append(Rejection(changed[rejection.index][0], rejection.error))
        batch.clear()
        changed.clear()

    def run(stream: Iterable[str]) -> None:
        batch: list[tuple[int, object]] = []
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                item = parse_json_line(line)
            except ValueError as problem:
                rejections.append(Rejection(number, str(problem)))
                continue
            (changed if is_change(item) else batch).append((number, item))
            if len(batch) + len(changed) >= INGEST_BATCH:
                flush(batch)
        flush(batch)

    if file == "-":
        run(stdin_lines())
    else:
        path = Path(file)
        if not path.is_file():
            raise fail(f"{file}: no such file")
        with lines_with_progress(path, "ingesting") as lines:
            run(lines)
    for rejection in sorted(rejections, key=lambda r: r.index):
        err.print(f"line {rejection.index}: {rejection.error}", markup=False)
    totals["rejected"] = len(rejections)
    out.print(
        f"accepted {totals['accepted']}, duplicates {totals['duplicates']}, rejected {totals['rejected']}",
        markup=False,
    )
    changes_line = tally.changes_line()
    if changes_line:
        out.print(changes_line, markup=False)
    if rejections:
        raise typer.Exit(1)


def _ingest_platform(name: str, file: str, settings: Settings, engine: Engine) -> None:
    tally = ingest_platform(name, file, settings, engine)
    for where, error in tally.rejected:
        err.print(f"{where}: {error}", markup=False)
    skipped = sum(tally.skipped.values())
    out.print(
        f"accepted {tally.accepted}, duplicates {tally.duplicates}, rejected {len(tally.rejected)}, "
        f"skipped {skipped}",
        markup=False,
    )
    if skipped:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(tally.skipped.items()))
        out.print(f"skipped: {reasons}", markup=False, soft_wrap=True)
    changes = tally.changes_line()
    if changes:
        out.print(changes, markup=False)
    if tally.rejected:
        raise typer.Exit(1)


@users_app.command("add")
@cli_errors
def users_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
    password: Annotated[
        str | None, typer.Option(help="Password for browser login (omit for API-only users).")
    ] = None,
    target: Annotated[list[str] | None, typer.Option(help="Target id this user is or acts for.")] = None,
    organisation: Annotated[
        str,
        typer.Option(help="Whom they work for, named beside them in evidence packs' chains of custody."),
    ] = "",
    days: TokenDays = None,
) -> None:
    """Create a user; the last line of output is their API token (shown once)."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        user = services.users.create(
            name,
            set(role),
            now=services.clock.now(),
            password=password,
            target_ids=tuple(target or ()),
            organisation=organisation,
        )
        issued = services.accounts.issue_token(
            user.id, actor=cli_actor(), label="hustings users add", days=days
        )
    out.print(f"created user {user.name} ({', '.join(sorted(user.roles))}) with id {user.id}", markup=False)
    out.print(f"token {issued.info.id} expires {issued.info.expires_at:%Y-%m-%d %H:%M} UTC", markup=False)
    print(issued.token)


@users_app.command("list")
@cli_errors
def users_list() -> None:
    """List users: name, roles, id, and whether disabled or with a second factor."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        for user in services.users.all():
            flags = ",".join(f for f, on in (("disabled", user.disabled), ("2fa", user.second_factor)) if on)
            out.print(
                f"{user.name}\t{','.join(sorted(user.roles))}\t{user.id}\t{flags}\t{user.organisation}".rstrip(),
                markup=False,
            )


@users_app.command("organisation")
@cli_errors
def users_organisation(
    name: Annotated[str, typer.Argument(help="Login name.")],
    organisation: Annotated[str, typer.Argument(help="Whom they work for; empty for the installation's.")],
) -> None:
    """Set whom a user works for, as evidence packs' chains of custody name it."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        user = services.users.by_name(name)
        if user is None:
            raise fail(f"name: no user called {name!r}")
        user = services.users.set_organisation(user.id, organisation)
    out.print(f"{user.name}: organisation {user.organisation or '(the installation’s)'}", markup=False)


@users_app.command("token")
@cli_errors
def users_token(
    name: Annotated[str, typer.Argument(help="Login name.")],
    days: TokenDays = None,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "hustings users token",
) -> None:
    """Issue a further API token for an existing user (printed as the last line)."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        user = services.users.by_name(name)
        if user is None:
            raise fail(f"name: no user called {name!r}")
        issued = services.accounts.issue_token(user.id, actor=cli_actor(), label=label, days=days)
    out.print(f"token {issued.info.id} expires {issued.info.expires_at:%Y-%m-%d %H:%M} UTC", markup=False)
    print(issued.token)


@db_app.command("upgrade")
@cli_errors
def db_upgrade() -> None:
    """Bring the database schema up to date (safe to repeat)."""
    settings = load_settings()
    ready_engine(settings)
    out.print(f"the {settings.database_kind} database is at the newest schema", markup=False)


@app.command("rebuild-status")
@cli_errors
def rebuild_status() -> None:
    """Recompute every subject's status, and the transparency report's aggregates, from the event log."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        count = services.log.rebuild()
        counted = services.transparency.rebuild_aggregates()
    out.print(f"rebuilt statuses from {count} events", markup=False)
    out.print(f"rebuilt the transparency report's aggregates from {counted} events", markup=False)


def _register_concepts() -> None:
    import hustings.cli as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name in {"main", "common"}:
            continue
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        register = getattr(loaded, "register", None)
        if callable(register):
            register(app)


_register_concepts()


def run() -> None:
    app()
