"""Moderation queue at scale, in PostgreSQL: the first page of a queue with 100,000 open items,
and one decision applied to a 500-message cluster.

Starts a throwaway PostgreSQL from Debian's binaries (or uses HUSTINGS_TEST_POSTGRES_URL), loads
100,000 open items (status rows in the unreviewed queue, each with its message and a
`report.filed` event), 20,000 decided and 20,000 merely assessed messages, 50 targets (10
candidates, 5 with an open incident) and five clusters of 500 near-duplicates among the open
items. Then it times, through the real app (FastAPI TestClient, bearer token):

- the queue query alone, `GET /v1/queues/unreviewed/items` and the console's queue page;
- `POST /v1/decisions` with `apply_to_cluster` on each 500-message cluster (500 events and 500
  status updates in one transaction, committed);

and prints EXPLAIN (ANALYZE, BUFFERS) for the queue query and the cluster lookup. Usage:

    .venv/bin/python benchmarks/moderation_queue.py [--items 100000] [--runs 30]
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import sys
from pathlib import Path

# Import the suite's throwaway PostgreSQL (tests.pgserver) from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.moderation.queues import queue
from hustings.protection.events import IncidentState, SubjectType
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker, upgrade
from hustings.storage.moderation import SqlModerationStore
from hustings.storage.tables import AuthorRow, EventRow, MessageRow, StatusRow, TargetRow
from hustings.storage.users import UserStore
from hustings.web.app import create_app
from tests.pgserver import TempPostgres  # the suite's throwaway server

NOW = datetime(2026, 5, 7, 9, 0, tzinfo=UTC)
CATEGORIES = ["threat", "sexual_harassment", "identity_hate", "abuse", "doxxing", "other"]
CLUSTERS = 5
CLUSTER_SIZE = 500
CHUNK = 5000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def chunks(rows: list[dict[str, Any]]) -> Any:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed(session: Session, items: int, rng: random.Random) -> list[str]:
    """Load the data set; return the seed message id of each cluster."""
    targets = [f"t_bench{n:03d}" for n in range(50)]
    session.execute(
        insert(TargetRow),
        [
            {
                "id": t,
                "name": f"Target {n}",
                "role": "candidate" if n < 10 else "councillor",
                "party": None,
                "constituency": None,
                "created_at": NOW,
            }
            for n, t in enumerate(targets)
        ],
    )
    session.execute(
        insert(StatusRow),
        [
            {
                "subject_type": SubjectType.INCIDENT,
                "subject_id": f"i_{n}",
                "state": IncidentState.OPEN,
                "data": {},
                "category": None,
                "target_id": targets[n * 7],
                "priority": 0.0,
                "due_at": None,
                "assignee": None,
                "cluster_id": None,
                "event_count": 1,
                "updated_at": NOW,
            }
            for n in range(5)
        ],
    )
    session.execute(
        insert(AuthorRow),
        [
            {
                "key": f"x:{n}",
                "source": "x",
                "external_id": str(n),
                "handle": f"@user{n}",
                "display_name": None,
                "created_at": NOW - timedelta(days=n % 900),
                "followers": n % 3000,
                "first_seen_at": NOW,
            }
            for n in range(5000)
        ],
    )
    total = items + 40_000
    seeds: list[str] = []
    messages: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for n in range(total):
        message_id = f"m_{n:032x}"
        state = "reported" if n < items else ("decided" if n < items + 20_000 else "assessed")
        cluster = n // CLUSTER_SIZE if n < CLUSTERS * CLUSTER_SIZE else None
        if cluster is not None and n % CLUSTER_SIZE == 0:
            seeds.append(message_id)
        category = "identity_hate" if cluster is not None else rng.choice(CATEGORIES)
        severity = round(rng.random(), 3)
        first_notice = NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 6))
        manifest = category in {"threat", "doxxing"}
        due = first_notice + timedelta(hours=24 if manifest else 168)
        reports = rng.randrange(1, 6)
        data = {
            "source": "x",
            "author_id": f"x:{n % 5000}",
            "target_ids": [targets[n % 50]],
            "created_at": (first_notice - timedelta(minutes=30)).isoformat(),
            "flagged": [category],
            "severity": severity,
            "model": "bench-detector@1",
            "reporters": [f"u_{k}" for k in range(reports)],
            "reporter_kinds": ["user"],
            "report_ids": [f"r_{n:032x}_0000000{k}" for k in range(reports)],
            "report_count": reports,
            "distinct_reporters": reports,
            "repeat_reports": 0,
            "first_notice_at": first_notice.isoformat(),
            "manifestly_illegal": manifest,
            "claims_illegal": False,
        }
        if state == "decided":
            data["decision"] = {"decision_id": f"d_{n}", "action": "remove", "policy_rule": "A1"}
        priority = severity + (0.5 if manifest else 0.0) + 0.2 * min(reports, 5) / 5
        messages.append(
            {
                "id": message_id,
                "source": "x",
                "external_id": str(n),
                "text": f"bench message {n} " * 4,
                "created_at": first_notice,
                "author_key": f"x:{n % 5000}",
                "in_reply_to_id": None,
                "url": None,
                "lang": "en",
                "ingested_at": first_notice,
            }
        )
        statuses.append(
            {
                "subject_type": "message",
                "subject_id": message_id,
                "state": state,
                "data": data,
                "category": category if state != "assessed" else None,
                "target_id": targets[n % 50],
                "priority": round(priority, 6),
                "due_at": due if state != "assessed" else None,
                "assignee": None,
                "cluster_id": f"c_bench{cluster}" if cluster is not None else None,
                "event_count": 3,
                "updated_at": first_notice,
            }
        )
        if state != "assessed":
            events.append(
                {
                    "idempotency_key": f"report.filed:r_{n:032x}_00000000",
                    "kind": "report.filed",
                    "subject_type": "message",
                    "subject_id": message_id,
                    "actor": "user:u_0",
                    "occurred_at": first_notice,
                    "recorded_at": first_notice,
                    "reason": "user reported",
                    "model": None,
                    "payload": {"report_id": f"r_{n:032x}_00000000", "category": category},
                }
            )
    for table, rows in ((MessageRow, messages), (StatusRow, statuses), (EventRow, events)):
        for chunk in chunks(rows):
            session.execute(insert(table), chunk)
    session.commit()
    return seeds


def timed(runs: int, action: Any) -> list[float]:
    action()  # warm caches and the connection pool
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def report(name: str, spent: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(spent):.1f} ms, p95 {percentile(spent, 0.95):.1f} ms, "
        f"max {max(spent):.1f} ms ({len(spent)} runs)"
    )


def explain(session: Session, statement: Any) -> str:
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    rows = session.connection().exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS) " + compiled.string, compiled.params
    )
    return "\n".join(row[0] for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(7)
    given = os.environ.get("HUSTINGS_TEST_POSTGRES_URL")
    server = None if given else TempPostgres()
    base = given or server.start()  # type: ignore[union-attr]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"hustings_queue_bench_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        factory = make_sessionmaker(engine)
        started = time.perf_counter()
        with factory() as session:
            seeds = seed(session, args.items, rng)
            users = UserStore(session)
            moderator = users.create("bench-moderator", {Role.MODERATOR}, now=NOW)
            token = users.issue_token(moderator.id, now=NOW, expires_at=None)
            session.commit()
        # Steady state: autovacuum would have set the visibility map and statistics by now.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
        print(f"loaded {args.items:,} open items (+40,000 closed) in {time.perf_counter() - started:.0f} s")
        settings = Settings(
            environment="test",
            data_dir=Path(tempfile.mkdtemp()),
            database_url=url,
            log_json=False,
            log_level="WARNING",
            assess_on_ingest=False,
        )
        clock = FixedClock(NOW)
        app = create_app(settings, engine=engine, clock=clock)
        headers = {"Authorization": f"Bearer {token}"}
        spec = queue("unreviewed")
        with factory() as session:
            reads = SqlModerationStore(session)
            query_ms = timed(
                args.runs, lambda: reads.queue_page(spec, now=NOW, reader_id=moderator.id, limit=50)
            )
            floor = reads._floor(spec, now=NOW, reader_id=moderator.id, wanted=50)
            probe_plan = explain(
                session, reads.queue_query(spec, now=NOW, reader_id=moderator.id, by_base=True).limit(50)
            )
            plan = explain(
                session, reads.queue_query(spec, now=NOW, reader_id=moderator.id, floor=floor).limit(50)
            )
            breaching_plan = explain(
                session, reads.queue_query(queue("breaching"), now=NOW, reader_id=moderator.id).limit(50)
            )
            cluster_plan = explain(
                session,
                select(StatusRow).where(
                    StatusRow.subject_type == "message", StatusRow.cluster_id == "c_bench0"
                ),
            )
        with TestClient(app) as client:

            def api() -> None:
                response = client.get("/v1/queues/unreviewed/items?limit=50", headers=headers)
                assert response.status_code == 200 and len(response.json()) == 50, response.text

            def page() -> None:
                response = client.get("/console/queues/unreviewed", headers=headers)
                assert response.status_code == 200, response.text

            api_ms = timed(args.runs, api)
            page_ms = timed(args.runs, page)
            decision_ms = []
            for seed_id in seeds:
                started = time.perf_counter()
                response = client.post(
                    "/v1/decisions",
                    json={
                        "message_id": seed_id,
                        "action": "remove",
                        "policy_rule": "H1",
                        "apply_to_cluster": True,
                    },
                    headers=headers,
                )
                decision_ms.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 201, response.text
                assert len(response.json()["decided"]) == CLUSTER_SIZE, response.json()["skipped"]
        print(report("queue query (first 50)", query_ms))
        print(report("GET /v1/queues/unreviewed/items", api_ms))
        print(report("GET /console/queues/unreviewed (HTML)", page_ms))
        print(report(f"POST /v1/decisions on a {CLUSTER_SIZE}-message cluster", decision_ms))
        print("\nEXPLAIN (ANALYZE, BUFFERS): unreviewed queue, probe by base priority\n" + probe_plan)
        print(
            f"\nEXPLAIN (ANALYZE, BUFFERS): unreviewed queue, first page (base priority floor {floor:.3f})\n"
            + plan
        )
        print("\nEXPLAIN (ANALYZE, BUFFERS): breaching-clock queue, first page\n" + breaching_plan)
        print("\nEXPLAIN (ANALYZE, BUFFERS): cluster members\n" + cluster_plan)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
