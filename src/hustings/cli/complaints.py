"""`hustings complaints-retention`: erase the personal data of closed cases past their retention period.

Run it daily (cron or a scheduled job). Each case's key is destroyed and a `complaint.erased` event
records it; the quarterly figures are unchanged. Safe to run again: an erased case is skipped.
"""

from __future__ import annotations

import typer

from hustings.cli.common import cli_errors, load_settings, out, unit_of_work


@cli_errors
def complaints_retention() -> None:
    """Erase the personal data of every closed complaint whose retention period (code.toml) has ended."""
    with unit_of_work(load_settings()) as services:
        erased = services.complaints.sweep_retention()
    out.print(f"erased the personal data of {len(erased)} case(s)", markup=False)
    for reference in erased:
        out.print(f"  {reference}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("complaints-retention")(complaints_retention)
