"""Moderation commands: sweep the statutory clocks, show a queue, show or check the policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hustings.cli.common import cli_errors, load_settings, out, unit_of_work
from hustings.moderation.policy import POLICY_FILE, load_policy, parse_policy
from hustings.moderation.queues import describe_time_left, queue, time_left


def register(app: typer.Typer) -> None:
    moderation = typer.Typer(help="Moderation: clocks, queues and the policy.", no_args_is_help=True)
    app.add_typer(moderation, name="moderation")

    @moderation.command()
    @cli_errors
    def sweep(
        limit: Annotated[int, typer.Option(help="At most this many alerts per run.", min=1)] = 10_000,
    ) -> None:
        """Raise a clock.breached alert on every open item past its statutory due time, then the
        notifications due (a clock about to run out, a pile-on, a decision) and their e-mails."""
        settings = load_settings()
        with unit_of_work(settings) as services:
            raised = services.moderation.sweep_clocks(limit=limit)
        out.print(f"{raised} clock breach alert(s) raised.", markup=False, soft_wrap=True)
        with unit_of_work(settings) as services:
            notified = services.notifications.raise_due()
        with unit_of_work(settings) as services:
            sent, failed = services.notifications.deliver()
        out.print(
            f"{notified} notification(s) raised; {sent} e-mail(s) sent, {failed} failed.",
            markup=False,
            soft_wrap=True,
        )

    @moderation.command("queue")
    @cli_errors
    def show_queue(
        name: Annotated[
            str, typer.Argument(help="unreviewed, breaching, escalated, appealed or a category.")
        ],
        limit: Annotated[int, typer.Option(help="How many items.", min=1, max=500)] = 20,
        as_json: Annotated[bool, typer.Option("--json", help="JSON Lines instead of a table.")] = False,
    ) -> None:
        """Print the first items of a queue, highest priority first."""
        spec = queue(name)
        with unit_of_work(load_settings()) as services:
            now = services.clock.now()
            page = services.moderation.queue_page(spec, reader_id=None, limit=limit)
            for entry in page:
                status = entry.status
                left = describe_time_left(time_left(status, now))
                if as_json:
                    out.print(
                        json.dumps(
                            {
                                "message_id": status.subject_id,
                                "state": status.state,
                                "category": status.category,
                                "priority": entry.priority,
                                "time_left": left,
                                "reports": status.data.get("report_count", 0),
                            }
                        ),
                        markup=False,
                        soft_wrap=True,
                    )
                else:
                    out.print(
                        f"{entry.priority:5.2f}  {status.subject_id}  {status.state:<9}  "
                        f"{(status.category or '-'):<17}  {left}",
                        markup=False,
                        soft_wrap=True,
                    )
            if not page and not as_json:
                out.print(f"The {spec.name} queue is empty.", markup=False, soft_wrap=True)

    @moderation.command()
    @cli_errors
    def policy(
        check: Annotated[
            Path | None, typer.Option(help="Check this policy file instead of showing the one in force.")
        ] = None,
    ) -> None:
        """Show the policy in force (version and rules), or check a policy file."""
        if check is not None:
            checked = parse_policy(check.read_text(encoding="utf-8"), source=str(check))
            out.print(
                f"{check}: policy {checked.version} is valid ({len(checked.rules)} rules).", markup=False
            )
            return
        current = load_policy()
        out.print(
            f"Policy {current.version} ({POLICY_FILE.name}): {current.title}", markup=False, soft_wrap=True
        )
        for rule in current.rules:
            defaults = rule.default_action
            out.print(
                f"  {rule.id:<3} {rule.ground:<12} {rule.title}  "
                f"[low: {defaults.low.value}, medium: {defaults.medium.value}, high: {defaults.high.value}]",
                markup=False,
                soft_wrap=True,
            )
