"""The transparency report for a quarter of about 1,000,000 events on PostgreSQL: from the
aggregates (what `Transparency.report` serves) against the fold over the log (the reference).

- builds a synthetic quarter (`referrals_transparency.synthetic_log`: messages ingested, 1-3
  reports, a decision, some appeals; targets with roles and nations), bulk-copied into the log;
- rebuilds the aggregates from it (`SqlTransparencyAggregates.rebuild`, what `hustings
  rebuild-status` runs), timed;
- times the report from the aggregates and the fold, and checks that they are equal;
- times appending events through the event store (`SqlEventStore.append`, batches of 500
  messages' events) with the aggregates kept and without, for the cost on the write path.

Usage (a throwaway PostgreSQL from tests/pgserver.py):

    PYTHONPATH=src .venv/bin/python benchmarks/transparency_aggregates.py [--events 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from referrals_transparency import START, event_rows, synthetic_log

from hustings.events import Event
from hustings.places import Nation
from hustings.storage.bulk import chunks, insert_rows
from hustings.storage.database import make_engine, make_sessionmaker, upgrade
from hustings.storage.events import SqlEventStore
from hustings.storage.tables import EventRow, TargetRow
from hustings.storage.transparency import SqlTransparencyStore
from hustings.transparency.period import parse_period
from hustings.transparency.service import Transparency
from tests.pgserver import TempPostgres

EVENTS_PER_MESSAGE = 4.1  # synthetic_log: ingested, 2 reports on average, a decision, 5% appealed


def timed(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    samples = []
    result: object = None
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples), result


def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    period = parse_period("2026-Q2")
    began = time.perf_counter()
    events, roles = synthetic_log(int(args.events / EVENTS_PER_MESSAGE))
    nations = list(Nation)
    with factory() as session, session.begin():
        session.add_all(
            TargetRow(
                id=t, name=t, role=r, created_at=START, country="GB", nation=nations[i % len(nations)].value
            )
            for i, (t, r) in enumerate(roles.items())
        )
    for chunk in chunks(events, 50_000):
        with factory() as session, session.begin():
            insert_rows(session, EventRow, event_rows(chunk))
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    print(f"set-up: {len(events):,} events in the log in {time.perf_counter() - began:.1f} s (COPY)")

    with factory() as session, session.begin():
        seconds, counted = timed(1, lambda: SqlEventStore(session).aggregates.rebuild())
    print(f"rebuild of the aggregates from the log: {seconds:7.2f} s ({counted:,} events read)")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")

    with factory() as session:
        transparency = Transparency(
            SqlTransparencyStore(session), aggregates=SqlEventStore(session).aggregates
        )
        seconds, from_aggregates = timed(args.runs, lambda: transparency.from_aggregates(period))
        print(f"report from the aggregates:             {seconds:7.2f} s (median of {args.runs})")
        seconds, folded = timed(1, lambda: transparency.compute(period))
        print(f"report folded from the log (reference): {seconds:7.2f} s")
        equal = from_aggregates == folded
        print(f"equal to the fold: {equal}")
        report = folded.to_json()  # type: ignore[attr-defined]
        print(
            f"  {report['reports_received']:,} reports, {report['items_reported']:,} items, "
            f"{report['taken_down']:,} taken down, median {report['time_to_takedown_hours']['median']} h"
        )
    if not equal:
        raise SystemExit("the report from the aggregates differs from the fold")

    # The write path: events for fresh messages appended as ingest and moderation would, in
    # batches, committed each; with the aggregates kept, and with them switched off.
    later, _ = synthetic_log(args.append_messages, seed=11)
    shifted = [
        Event(
            e.kind,
            e.subject_type,
            "w" + e.subject_id,
            e.actor,
            e.occurred_at + timedelta(days=1),
            "w" + e.idempotency_key,
            payload=e.payload,
        )
        for e in later
    ]
    half = len(shifted) // 2
    for label, batch_events, keep in (
        ("with the aggregates", shifted[:half], True),
        ("without them", shifted[half:], False),
    ):
        began = time.perf_counter()
        for chunk in chunks(batch_events, 2000):
            with factory() as session, session.begin():
                store = SqlEventStore(session)
                if not keep:
                    store.aggregates.record = lambda events: None  # type: ignore[method-assign]
                store.append(chunk, [], read={})
        took = time.perf_counter() - began
        print(
            f"append {len(batch_events):,} events (batches of 2,000) {label}: {took:6.2f} s, "
            f"{len(batch_events) / took:,.0f} events/s"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--append-messages", type=int, default=10_000)
    args = parser.parse_args()
    server = TempPostgres()
    try:
        run(server.start(), args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
