"""Importing a general election's candidate register: a synthetic Democracy Club CSV of
`--candidates` people on 650 ballots (a general election has about 4,500), imported into a fresh
database, then imported again (nothing new), then a newer file where one in ten changed party,
one in twenty changed handles and one in a hundred withdrew. Prints rows per second for each.

Usage:

    .venv/bin/python benchmarks/elections_import.py [--candidates 5000] [--postgresql]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hustings.elections.model import ElectionDates  # noqa: E402
from hustings.services import Services  # noqa: E402
from hustings.settings import Settings  # noqa: E402
from hustings.storage.database import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from tests.pgserver import TempPostgres  # noqa: E402 - the suite's throwaway server

ELECTION = "parl.2029-05-03"
COLUMNS = [
    "person_id",
    "person_name",
    "election_id",
    "ballot_paper_id",
    "election_date",
    "election_current",
    "party_name",
    "party_id",
    "post_label",
    "cancelled_poll",
    "seats_contested",
    "gender",
    "twitter_username",
    "email",
    "mastodon_username",
    "blue_sky_url",
]
PARTIES = [
    ("Labour Party", "PP53"),
    ("Conservative and Unionist Party", "PP52"),
    ("Liberal Democrats", "PP90"),
    ("Green Party", "PP63"),
    ("Reform UK", "PP7931"),
    ("Independent", "ynmp-party:2"),
]


def register(candidates: int, seed: int, changed: bool) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for n in range(candidates):
        if changed and n % 100 == 7:
            continue  # withdrew
        party, party_id = PARTIES[(n + (1 if changed and n % 10 == 3 else 0)) % len(PARTIES)]
        seat = n % 650
        handle = f"cand{n}{'b' if changed and n % 20 == 5 else ''}"
        writer.writerow(
            [
                100000 + n,
                f"Candidate {n}",
                ELECTION,
                f"parl.constituency-{seat}.2029-05-03",
                "2029-05-03",
                "True",
                party,
                party_id,
                f"Constituency {seat}",
                "False",
                "1",
                rng.choice(["female", "male", ""]),
                handle if n % 3 else "",
                "",
                f"https://mastodon.example/@{handle}" if n % 5 == 0 else "",
                f"https://bsky.app/profile/{handle}.bsky.social" if n % 4 == 0 else "",
            ]
        )
    return out.getvalue()


def run(url: str, candidates: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    settings = Settings(environment="test", assess_on_ingest=False, log_json=False, log_level="WARNING")
    with transaction(factory, writes=True) as session:
        Services(session=session, settings=settings).elections.create(
            ELECTION,
            "UK Parliament general election",
            ElectionDates(date(2029, 3, 26), date(2029, 4, 4), date(2029, 5, 3), date(2029, 5, 4)),
            actor="benchmark",
        )
    for label, text in (
        ("first import", register(candidates, 1, False)),
        ("same file again", register(candidates, 1, False)),
        ("newer file", register(candidates, 1, True)),
    ):
        started = time.perf_counter()
        with transaction(factory, writes=True) as session:
            summary = Services(session=session, settings=settings).elections.import_candidates(
                text, actor="benchmark"
            )
        took = time.perf_counter() - started
        rows = text.count("\n") - 1
        print(
            f"{label:16} {rows:6} rows {took:7.2f} s {rows / took:8.0f} rows/s  " + "; ".join(summary.lines())
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=5000)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    if args.postgresql:
        server = TempPostgres()
        try:
            run(server.start(), args.candidates)
        finally:
            server.stop()
        return
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite3", args.candidates)


if __name__ == "__main__":
    main()
