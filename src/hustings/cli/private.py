"""`hustings rekey-private-details`: seal every private detail under the current secret key.

The sibling of `hustings rekey-second-factors` and `hustings rekey-packs`: after rotating
HUSTINGS_SECRET_KEY (the old one in HUSTINGS_SECRET_KEY_PREVIOUS), run all three, then retire the
old key.
"""

from __future__ import annotations

import typer

from hustings.cli.common import cli_errors, load_settings, out, unit_of_work


@cli_errors
def rekey_private_details() -> None:
    """Seal every target's private details under HUSTINGS_SECRET_KEY (after a key rotation)."""
    with unit_of_work(load_settings()) as services:
        count = services.private_details.reseal()
    out.print(f"resealed {count} private detail(s) under the current HUSTINGS_SECRET_KEY", markup=False)


def register(app: typer.Typer) -> None:
    app.command("rekey-private-details")(rekey_private_details)
