"""`hustings complaints-retention`: erase the personal data of closed cases past their retention
period. Run it daily (cron or a scheduled job). Each case's key is destroyed and a
`complaint.erased` event records it; the quarterly figures are unchanged. Safe to run again: an
erased case is skipped.

`hustings rekey-complaint-keys`: after rotating HUSTINGS_SECRET_KEY (the old one in
HUSTINGS_SECRET_KEY_PREVIOUS), seal every case key under the new one, as
`hustings rekey-private-details` does for the private-details register; then the old key can go.
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


@cli_errors
def rekey_complaint_keys() -> None:
    """Seal every complaint case key under HUSTINGS_SECRET_KEY (after a key rotation)."""
    with unit_of_work(load_settings()) as services:
        count = services.complaints.reseal_keys()
    out.print(f"resealed {count} complaint case key(s) under the current HUSTINGS_SECRET_KEY", markup=False)


def register(app: typer.Typer) -> None:
    app.command("complaints-retention")(complaints_retention)
    app.command("rekey-complaint-keys")(rekey_complaint_keys)
