"""Ingest through NATS JetStream and workers behind it, with the real nats-server.

Every acknowledged message is stored exactly once with its events, however the workers die; a
retried publish is stored once; with the broker down, ingest answers 503 and stores nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hustings.auth.model import Role
from hustings.events import SYSTEM_ACTOR
from hustings.messages.ingest import IngestResult
from hustings.messages.model import message_id
from hustings.services import Services
from hustings.storage.database import make_sessionmaker, transaction
from hustings.stream.broker import Broker
from hustings.transparency.period import Period
from hustings.web.app import create_app
from tests.conftest import bearer, sample_message
from tests.natsserver import TempNats
from tests.pgserver import _free_port
from tests.protection.conftest import make_target, message, pile_on
from tests.stream.conftest import SRC, StartWorker, broker_env, count, settings_from, wait_until

STORED = "SELECT count(*) FROM messages"
INGESTED = "SELECT count(*) FROM events WHERE kind = 'message.ingested'"
ASSESSED = "SELECT count(*) FROM events WHERE kind = 'message.assessed'"
OPENED = "SELECT count(*) FROM events WHERE kind = 'incident.opened'"


def messages(n: int, prefix: str = "") -> list[dict[str, object]]:
    """`n` messages spread over 40 targets, so every partition has work."""
    return [
        sample_message(f"{prefix}{i}", targets=[f"@target{i % 40}"], text=f"message number {i}")
        for i in range(n)
    ]


def publish(engine: Engine, broker: Broker, raw: list[dict[str, object]]) -> IngestResult:
    """Ingest `raw` as the web app and the CLI do: `Services.ingest`, with the broker."""
    with transaction(make_sessionmaker(engine), writes=True) as session:
        return Services(session=session, settings=broker.settings, broker=broker).ingest(
            raw, actor=SYSTEM_ACTOR
        )


def test_a_worker_killed_mid_stream_loses_and_doubles_nothing(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(tmp_path, nats_server.url)
    broker = Broker(settings_from(env))
    batch = messages(4000)
    for start in range(0, len(batch), 500):
        result = publish(stored_engine, broker, batch[start : start + 500])
        assert (result.accepted, result.duplicates, result.rejected) == (500, 0, [])

    first = start_worker(env)
    wait_until(lambda: count(stored_engine, STORED) > 0, "the first worker to store a batch")
    first.send_signal(signal.SIGKILL)
    first.wait()
    at_kill = count(stored_engine, STORED)
    assert at_kill < len(batch), "the worker was killed after it had finished"

    start_worker(env)
    wait_until(lambda: count(stored_engine, STORED) == len(batch), "the second worker to store the rest")
    wait_until(
        lambda: all(p.lag == 0 and p.in_flight == 0 for p in broker.status().partitions),
        "every message to be acknowledged",
    )
    with transaction(make_sessionmaker(stored_engine), writes=False) as session:
        stored = Services(session=session, settings=settings_from(env)).messages.existing_ids(
            [message_id("x", str(item["external_id"])) for item in batch]
        )
    assert len(stored) == len(batch)
    assert count(stored_engine, STORED) == len(batch)
    assert count(stored_engine, INGESTED) == len(batch)
    broker.close()


def test_a_retried_publish_is_stored_once_and_assessed_once(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(tmp_path, nats_server.url, HUSTINGS_ASSESS_ON_INGEST="true")
    broker = Broker(settings_from(env))
    batch = messages(150)
    first = publish(stored_engine, broker, batch)
    again = publish(stored_engine, broker, batch)
    assert (first.accepted, first.duplicates) == (150, 0)
    assert (again.accepted, again.duplicates) == (0, 150)
    assert again.ids == first.ids

    start_worker(env)
    wait_until(lambda: count(stored_engine, ASSESSED) == len(batch), "every message to be assessed")
    wait_until(
        lambda: all(p.lag == 0 and p.in_flight == 0 for p in broker.status().partitions),
        "every message to be acknowledged",
    )
    assert count(stored_engine, STORED) == len(batch)
    assert count(stored_engine, INGESTED) == len(batch)
    assert count(stored_engine, ASSESSED) == len(batch)
    broker.close()


def test_with_the_broker_down_ingest_answers_503_and_stores_nothing(
    tmp_path: Path, stored_engine: Engine
) -> None:
    port = _free_port()
    env = broker_env(tmp_path, f"nats://127.0.0.1:{port}", HUSTINGS_BROKER_TIMEOUT_SECONDS="1")
    settings = settings_from(env)
    app = create_app(settings, engine=stored_engine)
    with transaction(make_sessionmaker(stored_engine), writes=True) as session:
        services = Services(session=session, settings=settings)
        user = services.users.create("triager", {Role.TRIAGE}, now=services.clock.now())
        token = services.users.issue_token(user.id, now=services.clock.now(), expires_at=None)
    with TestClient(app) as client:
        refused = client.post("/v1/messages", json={"messages": messages(3)}, headers=bearer(token))
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) > 0
        assert "try again" in refused.json()["detail"]
        assert count(stored_engine, STORED) == 0
        assert count(stored_engine, INGESTED) == 0

        server = TempNats()
        server.port = port
        server.start()
        try:
            answered = client.post("/v1/messages", json={"messages": messages(3)}, headers=bearer(token))
            assert answered.status_code == 200
            assert answered.json()["accepted"] == 3
            metrics = client.get("/metrics").text
            assert "hustings_broker_up 1.0" in metrics
            assert (
                sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in metrics.splitlines()
                    if line.startswith("hustings_stream_lag{")
                )
                == 3
            )
        finally:
            server.stop()


def test_the_cli_publishes_and_worker_status_shows_the_lag(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine
) -> None:
    env = broker_env(tmp_path, nats_server.url)
    lines = tmp_path / "messages.jsonl"
    lines.write_text("".join(json.dumps(item) + "\n" for item in messages(30)) + "not json\n")
    command = [sys.executable, "-c", "from hustings.cli.main import app; app()"]
    run_env = os.environ | {"PYTHONPATH": str(SRC)} | env
    ingested = subprocess.run([*command, "ingest", str(lines)], env=run_env, capture_output=True, text=True)
    assert "accepted 30, duplicates 0, rejected 1" in ingested.stdout
    assert count(stored_engine, STORED) == 0, "with a broker, the CLI leaves storing to the workers"

    status = subprocess.run([*command, "worker", "--status"], env=run_env, capture_output=True, text=True)
    assert status.returncode == 0, status.stderr
    rows = [line.split() for line in status.stdout.splitlines()[1:] if line.split()[0].isdigit()]
    assert len(rows) == 4
    assert sum(int(row[1]) for row in rows) == 30


def test_a_pile_on_whose_partition_moves_mid_way_opens_one_incident(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(
        tmp_path,
        nats_server.url,
        HUSTINGS_ASSESS_ON_INGEST="true",
        HUSTINGS_BROKER_PARTITIONS="1",
        HUSTINGS_WORKER_BATCH="10",
    )
    broker = Broker(settings_from(env))
    with transaction(make_sessionmaker(stored_engine), writes=True) as session:
        target = make_target(Services(session=session, settings=broker.settings))
    now = datetime.now(UTC)
    ordinary = [
        message(
            f"o{i}",
            f"Your housing plan is weak, point {i}",
            at=now - timedelta(hours=8, minutes=-7 * i),
            author=f"v{i}",
        )
        for i in range(40)
    ]
    hostile = pile_on(now - timedelta(hours=1), 40)
    publish(stored_engine, broker, [*ordinary, *hostile])

    first = start_worker(env)
    wait_until(lambda: count(stored_engine, STORED) > len(ordinary) + 10, "the pile-on to be under way")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert count(stored_engine, STORED) < len(ordinary) + len(hostile), (
        "the partition moved after the pile-on"
    )

    start_worker(env)
    wait_until(lambda: count(stored_engine, ASSESSED) == len(ordinary) + len(hostile), "every message")
    with transaction(make_sessionmaker(stored_engine), writes=False) as session:
        services = Services(session=session, settings=broker.settings)
        incidents = services.protection.incidents([target.id])
        # The workers append through the event store, so the transparency report's aggregates
        # kept as they wrote equal the fold over what they wrote, killed worker and all.
        around = Period(now.date() - timedelta(days=1), now.date() + timedelta(days=1))
        report = services.transparency.from_aggregates(around)
        assert report == services.transparency.compute(around)
        assert report.reports_received > 0  # the detector's reports on the pile-on
    assert len(incidents) == 1
    assert count(stored_engine, OPENED) == 1
    broker.close()
