"""Commands for protecting people: `hustings targets ...` and `hustings protection ...`.

    hustings targets add "Aisha Okafor" --role councillor --party Green \\
        --constituency "Riverside ward" --handle x:@cllraishaokafor --auto-shield
    hustings targets list
    hustings protection shield t_... --on [--days 7] | --extend [--days 7] | --off
    hustings protection import-list t_... blocked blocklist.csv
    hustings protection export-list t_... blocked > blocklist.csv
    hustings protection sweep        # close quiet incidents, end shields whose time is up (cron)
    hustings protection incidents [--target t_...] [--state open]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hustings.cli.common import cli_errors, fail, load_settings, out, unit_of_work
from hustings.errors import InvalidInput, NotFound
from hustings.events import SYSTEM_ACTOR
from hustings.protection.controls import account_ref, accounts_csv, parse_accounts_csv
from hustings.protection.events import IncidentState
from hustings.targets.model import TargetRole

targets_app = typer.Typer(help="Register and list protected people.", no_args_is_help=True)
protection_app = typer.Typer(
    help="Incidents, the shield and controls for protected people.", no_args_is_help=True
)
ACTOR = "cli"


def register(app: typer.Typer) -> None:
    app.add_typer(targets_app, name="targets")
    app.add_typer(protection_app, name="protection")


def _handle(value: str) -> tuple[str, str]:
    platform, sep, handle = value.partition(":")
    if not sep:
        raise InvalidInput(f"--handle: {value!r} is not platform:handle (e.g. x:@someone)")
    ref = account_ref(platform, handle)
    return ref.platform, ref.handle


@targets_app.command("add")
@cli_errors
def targets_add(
    name: Annotated[str, typer.Argument(help="The person's name.")],
    role: Annotated[TargetRole, typer.Option(help="candidate, mp, councillor, mayor or staff.")],
    party: Annotated[str | None, typer.Option(help="Party.")] = None,
    constituency: Annotated[str | None, typer.Option(help="Constituency or ward.")] = None,
    handle: Annotated[list[str] | None, typer.Option(help="platform:handle; repeat for several.")] = None,
    auto_shield: Annotated[bool, typer.Option(help="Switch the shield on when an incident opens.")] = False,
    country: Annotated[str | None, typer.Option(help="ISO 3166 country code: GB for the UK.")] = None,
    nation: Annotated[
        str | None, typer.Option(help="For the UK: england, scotland, wales or northern_ireland.")
    ] = None,
) -> None:
    """Register a protected person; prints their id."""
    handles = [_handle(value) for value in handle or []]
    settings = load_settings()
    with unit_of_work(settings) as services:
        target = services.targets.create(
            name=name.strip(),
            role=role,
            party=party,
            constituency=constituency,
            handles=handles,
            now=services.clock.now(),
            country=country,
            nation=nation,
        )
        if auto_shield:
            services.protection.change_settings(target.id, actor=SYSTEM_ACTOR, auto_shield=True)
    out.print(f"registered {target.name} ({target.role.value}) as {target.id}", markup=False)


@targets_app.command("list")
@cli_errors
def targets_list() -> None:
    """List protected people: id, name, role, handles."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        for target in services.targets.all():
            handles = " ".join(f"{p}:@{h}" for p, h in target.handles)
            typer.echo(f"{target.id}\t{target.name}\t{target.role.value}\t{handles}")


@protection_app.command("shield")
@cli_errors
def shield(
    target_id: Annotated[str, typer.Argument(help="The target's id.")],
    on: Annotated[bool, typer.Option("--on", help="Switch it on.")] = False,
    extend: Annotated[bool, typer.Option("--extend", help="Extend it.")] = False,
    off: Annotated[bool, typer.Option("--off", help="Switch it off (prints the recap).")] = False,
    days: Annotated[float | None, typer.Option(help="Length or extension in days (default 7).")] = None,
) -> None:
    """Show, switch on, extend or switch off a target's shield."""
    if on + extend + off > 1:
        raise fail("give one of --on, --extend, --off")
    settings = load_settings()
    with unit_of_work(settings) as services:
        protection = services.protection
        if services.targets.get(target_id) is None:
            raise NotFound(f"target: no target {target_id!r}")
        if on:
            result = protection.enable_shield(target_id, actor=ACTOR, days=days)
        elif extend:
            result = protection.extend_shield(target_id, actor=ACTOR, days=days)
        elif off:
            result = protection.disable_shield(target_id, actor=ACTOR)
        else:
            result = protection.shield(target_id)
        typer.echo(json.dumps(result.to_json(services.clock.now()), indent=2))


@protection_app.command("import-list")
@cli_errors
def import_list(
    target_id: Annotated[str, typer.Argument(help="The target's id.")],
    list_name: Annotated[str, typer.Argument(help="blocked or muted.")],
    file: Annotated[Path, typer.Argument(help="CSV: platform,handle[,note], header optional.")],
) -> None:
    """Add accounts from a CSV; bad rows are named by line on stderr and the good ones kept."""
    accounts, problems = parse_accounts_csv(file.read_text(encoding="utf-8-sig"))
    settings = load_settings()
    with unit_of_work(settings) as services:
        change = services.protection.add_accounts(target_id, list_name, accounts, actor=ACTOR)
    for problem in problems:
        typer.echo(f"line {problem.line}: {problem.error}", err=True)
    moved = f"; {change.moved} earlier messages moved to hidden" if change.moved else ""
    out.print(f"added {len(accounts)}, left out {len(problems)}{moved}", markup=False)
    if problems:
        raise typer.Exit(1)


@protection_app.command("export-list")
@cli_errors
def export_list(
    target_id: Annotated[str, typer.Argument(help="The target's id.")],
    list_name: Annotated[str, typer.Argument(help="blocked or muted.")],
) -> None:
    """Print the block or mute list as CSV."""
    if list_name not in ("blocked", "muted"):
        raise fail(f"list: no list {list_name!r}; expected blocked or muted")
    settings = load_settings()
    with unit_of_work(settings) as services:
        if services.targets.get(target_id) is None:
            raise NotFound(f"target: no target {target_id!r}")
        controls = services.protection.controls(target_id)
        entries = controls.blocked if list_name == "blocked" else controls.muted
        typer.echo(accounts_csv(entries.values()), nl=False)


@protection_app.command("sweep")
@cli_errors
def sweep() -> None:
    """Close incidents whose rates fell back and end shields whose time is up (run from cron)."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        counts = services.protection.sweep()
    out.print(
        f"closed {counts['incidents_closed']} incidents, ended {counts['shields_expired']} shields",
        markup=False,
    )


@protection_app.command("incidents")
@cli_errors
def incidents(
    target: Annotated[str | None, typer.Option(help="Only this target's incidents.")] = None,
    state: Annotated[str | None, typer.Option(help="open or closed.")] = None,
) -> None:
    """List incidents, newest first: id, target, state, severity, messages, accounts."""
    if state is not None and state not in tuple(IncidentState):
        raise fail(f"--state: expected open or closed, not {state!r}")
    settings = load_settings()
    with unit_of_work(settings) as services:
        chosen = None if state is None else IncidentState(state)
        for status in services.protection.incidents([target] if target else None, state=chosen):
            typer.echo(
                f"{status.subject_id}\t{status.target_id}\t{status.state}\t{status.priority:.2f}\t"
                f"{len(status.data.get('message_ids', []))}\t{len(status.data.get('author_keys', []))}"
            )
