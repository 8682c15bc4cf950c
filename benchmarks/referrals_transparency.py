"""Evidence packs and transparency reports at size.

- build_pack for 1, 20 and 100 messages (each with a thread and author history), and verify_pack
  on the result: the PDF dominates;
- compute_report over a synthetic log of N reported messages (ingested, 1-3 reports, a decision,
  some appeals), in memory, then the same through SQLite (`Transparency.compute` over
  `SqlTransparencyStore`).

Usage:

    .venv/bin/python benchmarks/referrals_transparency.py [--messages 50000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Import the suite's throwaway PostgreSQL (tests.pgserver) from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hustings.detect.assessment import Label
from hustings.events import Event
from hustings.transparency.period import parse_period
from hustings.transparency.report import compute_report
from tests.referrals.builders import content, item, message

START = datetime(2026, 4, 1, tzinfo=UTC)
ACTIONS = ["remove", "hide", "no_action", "label", "suspend_account"]
KINDS = ["user", "target", "delegate", "trusted_flagger", "automated"]
CATEGORIES = ["threat", "abuse", "identity_hate", "sexual_harassment", "doxxing", "other"]


def timed(runs: int, work: object) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        work()  # type: ignore[operator]
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def pack_benchmark(runs: int) -> None:
    from hustings.referrals.pack import build_pack, verify_pack

    for count in (1, 20, 100):
        history = tuple(
            message(f"h{i}", f"earlier message number {i} " * 4, minutes=-i - 10) for i in range(10)
        )
        items = [
            item(
                message(
                    str(i), f"Message {i}: I know where you live and I'll be outside tonight. " * 3, minutes=i
                ),
                Label.THREAT,
                thread=history[:3],
                history=history,
            )
            for i in range(count)
        ]
        pack_content = content(*items)
        seconds = timed(runs, lambda pack_content=pack_content: build_pack(pack_content))
        built = build_pack(pack_content)
        verify = timed(runs, lambda data=built.data: verify_pack(data))
        print(
            f"pack of {count:>3} messages: build {seconds * 1000:8.1f} ms, verify {verify * 1000:6.1f} ms, "
            f"{len(built.data) / 1024:7.1f} KiB"
        )


def synthetic_log(messages: int, seed: int = 7) -> tuple[list[Event], dict[str, str]]:
    rng = random.Random(seed)
    events: list[Event] = []
    roles = {f"t{i}": rng.choice(["candidate", "mp", "councillor"]) for i in range(200)}

    def add(kind: str, subject: str, at: datetime, payload: dict[str, object]) -> None:
        events.append(
            Event(
                kind,
                "message",
                subject,
                "system",
                at,
                f"{kind}:{subject}:{len(events)}",
                payload=payload,
                seq=len(events) + 1,
            )
        )

    for index in range(messages):
        mid = f"m{index}"
        at = START + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        add("message.ingested", mid, at - timedelta(minutes=5), {"target_ids": [rng.choice(list(roles))]})
        for extra in range(rng.randint(1, 3)):
            add(
                "report.filed",
                mid,
                at + timedelta(minutes=extra * 30),
                {"reporter_kind": rng.choice(KINDS), "category": rng.choice(CATEGORIES)},
            )
        add(
            "decision.made",
            mid,
            at + timedelta(hours=rng.expovariate(1 / 20)),
            {"action": rng.choice(ACTIONS)},
        )
        if rng.random() < 0.05:
            add("appeal.filed", mid, at + timedelta(days=2), {})
            add(
                "appeal.decided", mid, at + timedelta(days=4), {"outcome": rng.choice(["upheld", "reversed"])}
            )
    return events, roles


def event_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """`events` as rows of the events table, for a bulk insert (recorded when they occurred)."""
    return [
        {
            "idempotency_key": e.idempotency_key,
            "kind": e.kind,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "actor": e.actor,
            "occurred_at": e.occurred_at,
            "recorded_at": e.occurred_at,
            "reason": "",
            "model": None,
            "payload": dict(e.payload),
        }
        for e in events
    ]


def report_benchmark(messages: int, runs: int) -> None:
    events, roles = synthetic_log(messages)
    period = parse_period("2026-Q2")
    seconds = timed(runs, lambda: compute_report(events, roles, period))
    print(f"report over {len(events):,} events ({messages:,} messages), in memory: {seconds * 1000:8.1f} ms")

    from hustings.settings import Settings
    from hustings.storage.database import make_engine, make_sessionmaker, upgrade
    from hustings.storage.tables import EventRow, TargetRow
    from hustings.storage.transparency import SqlTransparencyStore
    from hustings.transparency.service import Transparency

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), assess_on_ingest=False)
        engine = make_engine(settings.sqlalchemy_url)
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            session.add_all(TargetRow(id=t, name=t, role=r, created_at=START) for t, r in roles.items())
            session.execute(
                EventRow.__table__.insert(),
                event_rows(events),
            )
            session.commit()
            transparency = Transparency(SqlTransparencyStore(session))
            seconds = timed(runs, lambda: transparency.compute(period))
        engine.dispose()
    print(
        f"report over {len(events):,} events ({messages:,} messages), SQLite end to end: {seconds * 1000:8.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    pack_benchmark(args.runs)
    report_benchmark(args.messages, args.runs)


if __name__ == "__main__":
    main()
