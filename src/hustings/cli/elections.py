"""Commands for elections: `hustings elections ...`.

    hustings elections create local.kelbridge.2028-05-04 --name "Kelbridge local election" \\
        --notice 2028-03-27 --nominations 2028-04-04 --count 2028-05-05 [--protection-days 14]
    hustings elections list
    hustings elections import-candidates candidates.csv [--election local.kelbridge.2028-05-04]
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from hustings.cli.common import cli_actor, cli_errors, err, load_settings, out, unit_of_work
from hustings.elections.model import DEFAULT_PROTECTION_DAYS, ElectionDates, parse_dc_id
from hustings.elections.register import decode_register

elections_app = typer.Typer(help="Elections and their candidate registers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(elections_app, name="elections")


@elections_app.command("create")
@cli_errors
def create(
    election_id: Annotated[str, typer.Argument(help="Democracy Club's id, e.g. parl.2029-05-03.")],
    name: Annotated[str, typer.Option(help="The election's name.")],
    notice: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Notice of election (YYYY-MM-DD).")],
    nominations: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Close of nominations.")],
    count: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="The count.")],
    protection_days: Annotated[
        int, typer.Option(help="Days after the count the period of heightened protection lasts.")
    ] = DEFAULT_PROTECTION_DAYS,
) -> None:
    """Create an election; the polling day is the date in its id."""
    dates = ElectionDates(
        notice_of_election=notice.date(),
        close_of_nominations=nominations.date(),
        polling_day=parse_dc_id(election_id).date,
        count_day=count.date(),
        protection_days=protection_days,
    )
    settings = load_settings()
    with unit_of_work(settings) as services:
        election = services.elections.create(election_id, name, dates, actor=cli_actor())
    out.print(
        f"created {election.id}: protected from {election.dates.period_start:%Y-%m-%d %H:%M} "
        f"to {election.dates.period_end:%Y-%m-%d %H:%M} UTC",
        markup=False,
    )


@elections_app.command("list")
@cli_errors
def list_elections() -> None:
    """List elections, the latest poll first: id, phase now, polling day, ballots, name."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        now = services.clock.now()
        for election in services.elections.all():
            typer.echo(
                f"{election.id}\t{election.phase(now).value}\t{election.dates.polling_day.isoformat()}\t"
                f"{len(election.ballots)}\t{election.name}"
            )


@elections_app.command("import-candidates")
@cli_errors
def import_candidates(
    file: Annotated[Path, typer.Argument(help="Democracy Club's candidates CSV.")],
    election: Annotated[
        str | None, typer.Option("--election", help="Import only this election's rows.")
    ] = None,
) -> None:
    """Import a candidate register: each person becomes or updates one target. Bad rows are
    named by line and column on stderr (exit 1) and the good ones stored."""
    text = decode_register(file.read_bytes())
    settings = load_settings()
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with (
        Progress(*columns, console=err, transient=True, redirect_stdout=False) as progress,
        unit_of_work(settings) as services,
    ):
        task = progress.add_task("importing", total=None)
        summary = services.elections.import_candidates(
            text,
            actor=cli_actor(),
            election_id=election,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    for problem in summary.rejected:
        err.print(str(problem), markup=False)
    for line in summary.lines():
        out.print(line, markup=False)
    if summary.rejected:
        raise typer.Exit(1)
