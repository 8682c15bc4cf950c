"""The election dashboard over a simulated campaign: `--candidates` people on 650 ballots, a
message to one of them every few minutes through the period so far (`--messages`), a report on
one in two, pile-ons on `--pile-ons` of them, and `--referrals` referrals to the platforms, half
answered. Prints how long the set-up took and, the figure that matters, how long building the
dashboard page's data (the dashboard and the platforms' response for the election) takes.

Usage:

    .venv/bin/python benchmarks/election_dashboard.py [--candidates 4000] [--messages 30000] \\
        [--pile-ons 40] [--referrals 600] [--postgresql]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.elections_import import ELECTION, register  # noqa: E402

from hustings.clock import FixedClock  # noqa: E402
from hustings.elections.model import ElectionDates  # noqa: E402
from hustings.events import Event  # noqa: E402
from hustings.platforms.model import Answer, Channel, PlatformAction, PlatformReferralDraft  # noqa: E402
from hustings.platforms.service import AnswerDraft  # noqa: E402
from hustings.protection.events import incident_growth, incident_opened  # noqa: E402
from hustings.services import Services  # noqa: E402
from hustings.settings import Settings  # noqa: E402
from hustings.storage.database import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from tests.pgserver import TempPostgres  # noqa: E402 - the suite's throwaway server

DATES = ElectionDates(date(2029, 3, 26), date(2029, 4, 4), date(2029, 5, 3), date(2029, 5, 4))
NOW = datetime(2029, 4, 30, 12, tzinfo=UTC)
LABELS = ["threat", "abuse", "abuse", "abuse", "identity_hate", "doxxing", "sexual_harassment"]
PLATFORMS = ["X", "Meta", "Bluesky", "TikTok", "mastodon.social"]


def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    settings = Settings(environment="test", assess_on_ingest=False, log_json=False, log_level="WARNING")
    clock = FixedClock(NOW)
    rng = random.Random(7)
    started = time.perf_counter()
    with transaction(factory, writes=True) as session:
        services = Services(session=session, settings=settings, clock=clock)
        services.elections.create(ELECTION, "UK Parliament general election", DATES, actor="benchmark")
        services.elections.import_candidates(register(args.candidates, 1, False), actor="benchmark")
    start = DATES.period_start
    span = (NOW - start).total_seconds()
    ids: list[str] = []
    for batch in range(0, args.messages, 2000):
        with transaction(factory, writes=True) as session:
            services = Services(session=session, settings=settings, clock=clock)
            raw = []
            for n in range(batch, min(batch + 2000, args.messages)):
                at = start + timedelta(seconds=span * n / args.messages)
                # Skewed: a few candidates get most of it, as in a real campaign.
                person = min(int(rng.paretovariate(1.2)) - 1, args.candidates - 1)
                raw.append(
                    {
                        "source": "x",
                        "external_id": f"b{n}",
                        "text": f"message {n} to candidate {person}",
                        "created_at": at.isoformat(),
                        "author": {"id": f"a{n % 5000}", "handle": f"@author{n % 5000}"},
                        "targets": [f"@cand{person if person % 3 else person + 1}"],
                    }
                )
            result = services.ingest(raw, actor="benchmark")
            ids.extend(result.ids)
            reports = [
                Event(
                    "report.filed",
                    "message",
                    mid,
                    "benchmark",
                    datetime.fromisoformat(raw[i]["created_at"]) + timedelta(minutes=30),
                    f"report.filed:{mid}:bench",
                    payload={
                        "report_id": f"r{batch + i}",
                        "reporter_kind": "user",
                        "category": rng.choice(LABELS),
                    },
                )
                for i, mid in enumerate(result.ids)
                if i % 2 == 0
            ]
            services.log.append_many(reports)
    with transaction(factory, writes=True) as session:
        services = Services(session=session, settings=settings, clock=clock)
        targets = sorted({n.candidate.target_id for n in services.elections.nominations(ELECTION)})
        events = []
        for i in range(args.pile_ons):
            at = start + timedelta(seconds=span * rng.random())
            growth = incident_growth(
                target_id=targets[i],
                detected_at=at,
                message_ids=ids[i * 5 : i * 5 + 5],
                author_keys=[],
                severity=rng.random(),
                stats={},
            )
            events.append(incident_opened(f"inc{i}", growth, reason="benchmark", model="bench@1", at=at))
        services.log.append_many(events)
        for i in range(args.referrals):
            clock.at = start + timedelta(seconds=span * i / args.referrals)
            referral = services.platform_referrals.refer(
                PlatformReferralDraft(
                    rng.choice(PLATFORMS),
                    Channel.TRUSTED_FLAGGER_PORTAL,
                    (ids[i * 7],),
                    election_id=ELECTION if i % 4 else None,
                ),
                actor="benchmark",
            )
            if i % 2:
                clock.advance(hours=rng.uniform(0.5, 96))
                draft = AnswerDraft(Answer.ACTIONED, action=PlatformAction.REMOVED)
                services.platform_referrals.answer(referral.id, draft, actor="benchmark")
        clock.at = NOW
    print(
        f"set-up: {args.candidates} candidates, {args.messages} messages, {args.messages // 2} reports, "
        f"{args.pile_ons} pile-ons, {args.referrals} platform referrals in {time.perf_counter() - started:.1f} s"
    )
    for attempt in range(3):
        began = time.perf_counter()
        with transaction(factory, writes=False) as session:
            services = Services(session=session, settings=settings, clock=clock)
            election = services.elections.get(ELECTION)
            nominations = services.elections.nominations(ELECTION)
            read = time.perf_counter()
            board = services.election_dashboards.build(election, nominations)
            built = time.perf_counter()
            response = services.platform_referrals.response(election_id=ELECTION)
        took = time.perf_counter() - began
        parts = f"candidates {read - began:.2f} s, dashboard {built - read:.2f} s, platforms {took - (built - began):.2f} s"
        print(
            f"dashboard {attempt + 1}: {took:6.2f} s  ({board.reports} reports, {len(board.by_candidate)} candidates, "
            f"{len(board.days)} days, {len(board.pile_ons)} open pile-ons, {response.overall.sent} referrals; {parts})"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=4000)
    parser.add_argument("--messages", type=int, default=30000)
    parser.add_argument("--pile-ons", type=int, default=40)
    parser.add_argument("--referrals", type=int, default=600)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    if args.postgresql:
        server = TempPostgres()
        try:
            run(server.start(), args)
        finally:
            server.stop()
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite3", args)


if __name__ == "__main__":
    main()
