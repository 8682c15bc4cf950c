"""`hustings complaints-retention`: erase the personal data of closed cases past their retention
period. Run it daily (cron or a scheduled job). Each case's key is destroyed and a
`complaint.erased` event records it; the quarterly figures are unchanged. Safe to run again: an
erased case is skipped.

`hustings rekey-complaint-keys`: after rotating HUSTINGS_SECRET_KEY (the old one in
HUSTINGS_SECRET_KEY_PREVIOUS), seal every case key under the new one, as
`hustings rekey-private-details` does for the private-details register; then the old key can go.

`hustings complaints-encrypt-legacy`: once, after upgrading, seal what older cases hold in the clear
(the personal fields of cases filed before each case had its own key, and the reasons, evidence and
departures from the sanction guidance of steps logged before those were sealed). The one place
events are rewritten rather than appended: the same facts, their texts sealed; see
`Complaints.seal_legacy`. Safe to run again: a second run finds nothing to seal and says so.
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


@cli_errors
def complaints_encrypt_legacy() -> None:
    """Seal with each case's own key what older complaint cases hold in the clear (idempotent)."""

    def progress(reference: str, count: int) -> None:
        out.print(f"  {reference}: sealed {count} event(s)", markup=False)

    with unit_of_work(load_settings()) as services:
        sealing = services.complaints.seal_legacy(progress)
    if not sealing.cases_sealed:
        out.print(
            f"nothing to seal: all {sealing.cases_seen} complaint case(s) are already sealed", markup=False
        )
        return
    out.print(
        f"sealed {sealing.events_rewritten} event(s) in {sealing.cases_sealed} of {sealing.cases_seen}"
        f" complaint case(s); {sealing.keys_made} new case key(s)",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("complaints-retention")(complaints_retention)
    app.command("rekey-complaint-keys")(rekey_complaint_keys)
    app.command("complaints-encrypt-legacy")(complaints_encrypt_legacy)
