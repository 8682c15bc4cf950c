"""`hustings worker`: store and assess what ingest published to the broker (see docs/deploy.md).

HUSTINGS_BROKER_URL=nats://nats:4222 HUSTINGS_DATABASE_URL=postgresql://... hustings worker
hustings worker --status
"""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from hustings.cli.common import cli_broker, cli_errors, fail, load_settings, out, ready_engine
from hustings.logging import configure_logging
from hustings.stream.broker import StreamStatus


def register(app: typer.Typer) -> None:
    app.command()(worker)


@cli_errors
def worker(
    status: Annotated[
        bool,
        typer.Option("--status", help="Print each partition's lag and each worker's counters, then exit."),
    ] = False,
    worker_id: Annotated[
        str | None, typer.Option("--id", help="This worker's name (default: host-pid).")
    ] = None,
) -> None:
    """Consume the message stream: take partitions, store and assess their messages in batches,
    acknowledge each batch after its commit. Stops cleanly on SIGTERM or Ctrl-C."""
    settings = load_settings()
    configure_logging(settings)
    broker = cli_broker(settings)
    if broker is None:
        raise fail("HUSTINGS_BROKER_URL is not set: without a broker, ingest stores and assesses in process")
    if status:
        _print_status(broker.status())
        broker.close()
        return
    from hustings.stream.worker import Worker

    runner = Worker(settings, ready_engine(settings), worker_id)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await runner.run(stop)

    out.print(f"worker {runner.id}: consuming ({settings.broker_partitions} partitions)", markup=False)
    asyncio.run(main())


def _print_status(status: StreamStatus) -> None:
    out.print("partition  lag  in-flight  redelivered  worker", markup=False)
    for p in status.partitions:
        out.print(
            f"{p.partition:>9}  {p.lag:>3}  {p.in_flight:>9}  {p.redelivered:>11}  {p.holder or '-'}",
            markup=False,
        )
    if status.changes is not None:
        c = status.changes
        out.print(
            f"{'changes':>9}  {c.lag:>3}  {c.in_flight:>9}  {c.redelivered:>11}  {c.holder or '-'}",
            markup=False,
        )
    for name, counters in sorted(status.workers.items()):
        batches = int(counters.get("batches", 0))
        mean = counters.get("batch_messages", 0) / batches if batches else 0.0
        out.print(
            f"worker {name}: {batches} batches (mean {mean:.0f} messages), {counters.get('stored', 0)} stored, "
            f"{counters.get('assessed', 0)} assessed, {counters.get('redeliveries', 0)} redeliveries, "
            f"{counters.get('errors', 0)} errors; changes: {counters.get('changes_applied', 0)} applied, "
            f"{counters.get('changes_deferred', 0)} deferred, {counters.get('changes_rejected', 0)} rejected",
            markup=False,
        )
