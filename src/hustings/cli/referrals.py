"""Commands: `hustings verify-pack PACK.zip` checks an evidence pack has not been altered;
`hustings rekey-packs` re-encrypts stored packs under the current secret key after a rotation;
`hustings referrals pack REFERRAL_ID` builds a referral's evidence pack and writes it out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hustings.cli.common import cli_actor, cli_errors, err, fail, load_settings, out, unit_of_work


def register(app: typer.Typer) -> None:
    referrals = typer.Typer(help="Referrals to the police and their evidence packs.", no_args_is_help=True)
    app.add_typer(referrals, name="referrals")

    @referrals.command("pack")
    @cli_errors
    def pack_command(
        referral_id: Annotated[str, typer.Argument(help="The referral, e.g. r_0123456789abcdef.")],
        output: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Write the ZIP here (default: evidence-pack-<pack id>.zip)."),
        ] = None,
    ) -> None:
        """Build the referral's evidence pack now, store it encrypted, and write a copy out.

        Building and the export are both in the referral's chain of custody, by this login name.
        """
        actor = cli_actor()
        with unit_of_work(load_settings()) as services:
            built = services.referrals.build_pack(referral_id, actor=actor)
            data, filename = services.referrals.export_pack(referral_id, built.pack_id, actor=actor)
        target = output or Path(filename)
        target.write_bytes(data)
        out.print(
            f"{target}: pack {built.pack_id} of referral {referral_id}, {len(built.manifest['items'])} items, "
            f"sha256 {built.pack_sha256}" + (" (urgent: see the PDF's first page)" if built.urgent else ""),
            markup=False,
            soft_wrap=True,
        )

    @app.command("verify-pack")
    @cli_errors
    def verify_pack_command(
        pack: Annotated[Path, typer.Argument(help="The evidence pack ZIP.")],
        against_log: Annotated[
            bool,
            typer.Option(
                "--against-log",
                help="Also check the pack's digest is the one this installation's event log recorded.",
            ),
        ] = False,
    ) -> None:
        """Recompute the SHA-256 of every item and of the pack; exit 1 naming any item altered."""
        from hustings.referrals.pack import verify_pack

        if not pack.is_file():
            raise fail(f"{pack}: no such file")
        data = pack.read_bytes()
        recorded: list[str] = []
        if against_log:
            first = verify_pack(data)
            with unit_of_work(load_settings()) as services:
                recorded = [
                    str(event.payload.get("pack_sha256"))
                    for event in services.referrals.pack_built_events(first.pack_id)
                ]
            if not recorded:
                raise fail(f"{pack}: the event log has no pack {first.pack_id!r}", code=1)
        result = verify_pack(data, recorded_sha256=recorded)
        if result.problems:
            for problem in result.problems:
                err.print(f"altered: {problem}", markup=False, soft_wrap=True)
            err.print(f"{pack}: FAILED, {len(result.problems)} problem(s)", markup=False, soft_wrap=True)
            raise typer.Exit(1)
        where = " and matches the event log" if against_log else ""
        out.print(
            f"{pack}: OK, pack {result.pack_id} of referral {result.referral_id}, {len(result.items)} items, "
            f"sha256 {result.pack_sha256}{where}",
            markup=False,
            soft_wrap=True,
        )

    @app.command("rekey-packs")
    @cli_errors
    def rekey_packs_command() -> None:
        """Re-encrypt every stored evidence pack under HUSTINGS_SECRET_KEY (after a key rotation).

        Each pack must open under HUSTINGS_SECRET_KEY or a key in HUSTINGS_SECRET_KEY_PREVIOUS;
        afterwards the previous keys are no longer needed for packs.
        """
        with unit_of_work(load_settings()) as services:
            count = services.referrals.rekey_packs()
        out.print(
            f"re-encrypted {count} evidence pack(s) under the current HUSTINGS_SECRET_KEY", markup=False
        )
