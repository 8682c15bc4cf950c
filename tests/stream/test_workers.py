"""Ingest through NATS JetStream and workers behind it, with the real nats-server.

Every acknowledged message is stored exactly once with its events, however the workers die; a
retried publish is stored once; with the broker down, ingest answers 503 and stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from hustings.auth.model import Role
from hustings.events import SYSTEM_ACTOR
from hustings.messages.ingest import IngestResult
from hustings.messages.model import message_id
from hustings.services import Services
from hustings.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from hustings.storage.tables import MessageRow
from hustings.stream.broker import Broker
from hustings.transparency.period import Period
from hustings.web.app import create_app
from tests.conftest import bearer, sample_message
from tests.natsserver import TempNats
from tests.pgserver import _free_port
from tests.protection.conftest import make_target, message, pile_on
from tests.sources.samples import REGISTER_ARGS, SAMPLES, TROLL_DID
from tests.stream.conftest import SRC, StartWorker, broker_env, count, settings_from, wait_until

STORED = "SELECT count(*) FROM messages"
INGESTED = "SELECT count(*) FROM events WHERE kind = 'message.ingested'"
ASSESSED = "SELECT count(*) FROM events WHERE kind = 'message.assessed'"
OPENED = "SELECT count(*) FROM events WHERE kind = 'incident.opened'"
ASSESSED_SUBJECTS = "SELECT count(DISTINCT subject_id) FROM events WHERE kind = 'message.assessed'"


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
    # The issue's figure: 20,000 messages, each to be stored once with its assessment.
    env = broker_env(tmp_path, nats_server.url, HUSTINGS_ASSESS_ON_INGEST="true")
    broker = Broker(settings_from(env))
    batch = messages(20_000)
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
    # The detector runs on one thread: 20,000 assessments take minutes on a small machine.
    wait_until(
        lambda: count(stored_engine, STORED) == len(batch), "the second worker to store the rest", guard=1200
    )
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
    assert count(stored_engine, ASSESSED) == len(batch)
    assert count(stored_engine, ASSESSED_SUBJECTS) == len(batch)  # each message assessed once
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


def incidents_by_target(engine: Engine) -> list[tuple[str, str, frozenset[str]]]:
    """Every incident as (target's name, its state, the messages it took in), sorted.

    Read from the log, so batch boundaries (one `incident.message_added` per batch) do not
    matter, only which messages each incident holds.
    """
    with engine.connect() as connection:
        names = dict(connection.execute(text("SELECT id, name FROM targets")).all())
        taken: dict[str, set[str]] = {}
        target_of: dict[str, str] = {}
        for incident_id, payload in connection.execute(
            text("SELECT subject_id, payload FROM events WHERE kind IN (:opened, :added) ORDER BY seq"),
            {"opened": "incident.opened", "added": "incident.message_added"},
        ):
            body = json.loads(payload) if isinstance(payload, str) else payload
            taken.setdefault(incident_id, set()).update(body["message_ids"])
            target_of[incident_id] = names[body["target_id"]]
        states = dict(
            connection.execute(
                text("SELECT subject_id, state FROM subject_status WHERE subject_type = 'incident'")
            ).all()
        )
    return sorted((target_of[i], states[i], frozenset(ids)) for i, ids in taken.items())


def test_pile_ons_through_workers_equal_a_single_in_process_run(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(tmp_path, nats_server.url, HUSTINGS_ASSESS_ON_INGEST="true", HUSTINGS_WORKER_BATCH="25")
    settings = settings_from(env)
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    upgrade(reference)
    handles = ["priya", "sam", "alex", "noor", "tom"]
    for engine in (stored_engine, reference):
        with transaction(make_sessionmaker(engine), writes=True) as session:
            services = Services(session=session, settings=settings)
            for handle in handles:
                make_target(services, name=f"Candidate {handle}", handle=handle)
    now = datetime.now(UTC)
    raw: list[dict[str, object]] = []
    for n, handle in enumerate(handles):
        raw += [
            message(
                f"{handle}-o{i}",
                f"Your plan for the {handle} ward is weak, point {i}",
                at=now - timedelta(hours=8, minutes=-7 * i),
                author=f"voter{i % 25}",
                handle=handle,
            )
            for i in range(30)
        ]
        if n != 2:  # one target has no pile-on at all
            raw += pile_on(
                now - timedelta(hours=1, minutes=5 * n), 30 + 5 * n, prefix=f"{handle}-p", handle=handle
            )
    raw.sort(key=lambda item: str(item["created_at"]))

    with transaction(make_sessionmaker(reference), writes=True) as session:
        Services(session=session, settings=settings).ingest(raw, actor=SYSTEM_ACTOR)
    expected = incidents_by_target(reference)
    reference.dispose()
    assert {name for name, _, _ in expected} == {f"Candidate {h}" for h in handles if h != "alex"}

    broker = Broker(settings)
    publish(stored_engine, broker, raw)
    start_worker(env)
    doomed = start_worker(env)
    wait_until(lambda: count(stored_engine, ASSESSED) > len(raw) // 3, "the workers to be under way")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    start_worker(env)
    wait_until(lambda: count(stored_engine, ASSESSED) == len(raw), "every message to be assessed")
    wait_until(
        lambda: all(p.lag == 0 and p.in_flight == 0 for p in broker.status().partitions),
        "every message to be acknowledged",
    )
    assert incidents_by_target(stored_engine) == expected
    assert count(stored_engine, STORED) == count(stored_engine, INGESTED) == len(raw)
    broker.close()


def test_platform_records_travel_with_their_messages_through_the_broker(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(tmp_path, nats_server.url)
    command = [sys.executable, "-c", "from hustings.cli.main import app; app()"]
    run_env = os.environ | {"PYTHONPATH": str(SRC)} | env
    for arguments in REGISTER_ARGS:
        added = subprocess.run([*command, "targets", "add", *arguments], env=run_env, capture_output=True)
        assert added.returncode == 0, added.stderr
    ingested = subprocess.run(
        [*command, "ingest", "--format", "bluesky-jetstream", str(SAMPLES / "jetstream.jsonl")],
        env=run_env,
        capture_output=True,
        text=True,
    )
    assert "accepted 3, duplicates 0, rejected 2" in ingested.stdout, ingested.stdout + ingested.stderr
    assert count(stored_engine, STORED) == 0, "with a broker, the records wait in the stream too"

    start_worker(env)
    wait_until(lambda: count(stored_engine, STORED) == 3, "the worker to store the three messages")
    lines = (SAMPLES / "jetstream.jsonl").read_bytes().split(b"\n")
    with transaction(make_sessionmaker(stored_engine), writes=False) as session:
        services = Services(session=session, settings=settings_from(env))
        ids = list(session.scalars(select(MessageRow.id)))
        captures = [services.originals.for_message(id_) for id_ in ids]
        reply = message_id("bluesky", f"at://{TROLL_DID}/app.bsky.feed.post/3lq2wa1bcxy2f")
        reply_capture = services.originals.for_message(reply)
    assert all(capture is not None and capture.origin.record.payload in lines for capture in captures)
    assert reply_capture is not None and reply_capture.origin.record.payload == lines[4]
    assert reply_capture.origin.record.sha256 == hashlib.sha256(lines[4]).hexdigest()
    assert (reply_capture.origin.record.format, reply_capture.origin.converter) == (
        "bluesky-jetstream",
        "hustings.sources.bluesky",
    )
    assert reply_capture.origin.source_time is not None
    assert reply_capture.origin.source_time.isoformat() == "2026-05-06T17:47:00+00:00"
