"""Commands: `hustings transparency` (the report for a period) and `hustings dsa-export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hustings.cli.common import cli_errors, err, load_settings, unit_of_work
from hustings.settings import Settings


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("transparency")
    @cli_errors
    def transparency(
        start: Annotated[
            str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: this quarter's first).")
        ] = None,
        last: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD, inclusive.")] = None,
        period: Annotated[
            str | None,
            typer.Option(help="Instead of --from/--to: 2026-Q2, 2026-05, 2026 or 2026-04-01..2026-06-30."),
        ] = None,
        kind: Annotated[
            str, typer.Option("--format", help="json, csv, html or dsa-csv (the DSA harmonised templates).")
        ] = "json",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
        ] = None,
    ) -> None:
        """The transparency report for a period (default: the current calendar quarter)."""
        from hustings.errors import InvalidInput
        from hustings.transparency.output import to_csv_text, to_dsa_template_csv, to_json_text
        from hustings.transparency.period import parse_period, period_between

        if kind not in ("json", "csv", "html", "dsa-csv"):
            raise InvalidInput(f"--format: {kind!r} is not json, csv, html or dsa-csv")
        settings = load_settings()
        with unit_of_work(settings) as services:
            chosen = (
                parse_period(period)
                if period
                else period_between(start, last, today=services.clock.now().date())
            )
            report = services.transparency.report(chosen)
        if kind == "json":
            text = to_json_text(report)
        elif kind == "csv":
            text = to_csv_text(report)
        elif kind == "dsa-csv":
            text = to_dsa_template_csv(report)
        else:
            from hustings.transparency.view import render_standalone
            from hustings.web.templating import TEMPLATES

            text = render_standalone(report, TEMPLATES, TEMPLATES.parent / "static" / "transparency.css")
        _write(text, output)

    @app.command("dsa-export")
    @cli_errors
    def dsa_export_command(
        start: Annotated[
            str | None, typer.Option("--from", help="Decisions on or after this day, YYYY-MM-DD.")
        ] = None,
        last: Annotated[str | None, typer.Option("--to", help="Decisions up to this day, inclusive.")] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
        ] = None,
        skip_invalid: Annotated[
            bool,
            typer.Option("--skip-invalid", help="Export the valid statements and list the refused ones."),
        ] = False,
        submit: Annotated[
            bool,
            typer.Option(
                "--submit",
                help="Send them to the DSA Transparency Database at HUSTINGS_DSA_API_URL "
                "(token: HUSTINGS_DSA_API_TOKEN), skipping those already accepted.",
            ),
        ] = False,
        batch_size: Annotated[
            int, typer.Option("--batch-size", min=1, max=100, help="Statements per call with --submit.")
        ] = 100,
    ) -> None:
        """Every decision as a DSA statement of reasons, one JSON object a line (JSON Lines);
        with --submit, sent to the DSA Transparency Database."""
        from hustings.transparency.dsa import dsa_export
        from hustings.transparency.period import Period, period_between

        settings = load_settings()
        with unit_of_work(settings) as services:
            window: Period | None = None
            if start or last:
                window = period_between(
                    start or "2000-01-01",
                    last or services.clock.now().date().isoformat(),
                    today=services.clock.now().date(),
                )
            events = services.transparency.decisions(window)
        export = dsa_export(events, strict=not skip_invalid)
        if output is not None or not submit:
            _write(export.text(), output)
        err.print(
            f"{len(export.lines)} statement(s) exported; {export.no_statement} no_action decision(s) need none",
            markup=False,
            soft_wrap=True,
        )
        for refusal in export.refused:
            err.print(f"refused: {refusal}", markup=False, soft_wrap=True)
        refused_by_database = _submit(settings, export.lines, batch_size) if submit else 0
        if export.refused or refused_by_database:
            raise typer.Exit(1)


def _submit(settings: Settings, lines: list[str], batch_size: int) -> int:
    """Send the statements; print progress and what the database said; return how many it refused."""
    import json

    from hustings.errors import ConfigurationError
    from hustings.transparency.submit import (
        Outcome,
        TransparencyDatabase,
        acceptance_events,
        accepted_key,
        submit,
    )

    if not settings.dsa_api_url or settings.dsa_api_token is None:
        raise ConfigurationError(
            "HUSTINGS_DSA_API_URL and HUSTINGS_DSA_API_TOKEN: both must be set to --submit"
        )
    url = settings.dsa_api_url
    statements = [json.loads(line) for line in lines]
    with unit_of_work(settings) as services:
        known = services.log.store.known_keys([accepted_key(s["puid"]) for s in statements])
    recorded = {s["puid"] for s in statements if accepted_key(s["puid"]) in known}

    def record(outcomes: list[Outcome]) -> None:
        # Each batch in its own unit of work: a failure later keeps what was accepted before it.
        with unit_of_work(settings) as services:
            services.log.append_many(acceptance_events(outcomes, endpoint=url, at=services.clock.now()))

    def progress(done: int, total: int) -> None:
        err.print(f"submitted {done}/{total}", markup=False, soft_wrap=True)

    database = TransparencyDatabase(url, settings.dsa_api_token)
    try:
        report = submit(
            database, statements, recorded=recorded, record=record, progress=progress, batch_size=batch_size
        )
    finally:
        database.close()
    for outcome in report.outcomes:
        if outcome.result == "refused":
            err.print(
                f"refused by the database: {outcome.puid}: {outcome.detail}", markup=False, soft_wrap=True
            )
    err.print(
        f"{report.count('accepted')} accepted, {report.count('already_held')} already held, "
        f"{report.count('refused')} refused, {report.recorded_before} accepted before (not sent)",
        markup=False,
        soft_wrap=True,
    )
    return report.count("refused")
