"""Edits and deletions at the source through NATS JetStream and the workers, with the real nats-server.

With a broker, a change is published (de-duplicated by its identity) and a worker records it once,
after its message; a change whose message never comes is rejected after a bounded wait, logged
and counted; a redelivered change records nothing twice; with the broker down, 503.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from hustings.auth.model import Role
from hustings.events import SYSTEM_ACTOR
from hustings.messages.changes import ChangeResult, validate_changes
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker, transaction
from hustings.stream.broker import Broker, connect, ensure_stream
from hustings.stream.partition import CHANGES_DURABLE, STREAM
from hustings.stream.worker import Worker
from hustings.web.app import create_app
from tests.conftest import bearer, sample_message
from tests.natsserver import TempNats
from tests.pgserver import _free_port
from tests.stream.conftest import SRC, StartWorker, broker_env, count, settings_from, wait_until

EDITED = "SELECT count(*) FROM events WHERE kind = 'message.edited'"
DELETED = "SELECT count(*) FROM events WHERE kind = 'message.deleted_at_source'"
STORED = "SELECT count(*) FROM messages"


def edit(external_id: str, new_text: str) -> dict[str, object]:
    return {"change": "edited", "source": "x", "external_id": external_id, "text": new_text}


def deletion(external_id: str) -> dict[str, object]:
    return {"change": "deleted_at_source", "source": "x", "external_id": external_id}


def texts(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(text("SELECT external_id, text FROM messages"))}


def token_for(settings: Settings, engine: Engine) -> str:
    with transaction(make_sessionmaker(engine), writes=True) as session:
        services = Services(session=session, settings=settings)
        user = services.users.create("triager", {Role.TRIAGE}, now=services.clock.now())
        return services.users.issue_token(user.id, now=services.clock.now(), expires_at=None)


def worker_stats(broker: Broker) -> dict[str, Any]:
    workers = broker.status().workers
    return next(iter(workers.values()), {})


def changes_settled(broker: Broker) -> bool:
    changes = broker.status().changes
    return changes is not None and changes.lag == 0 and changes.in_flight == 0


def publish_changes(engine: Engine, broker: Broker, raw: list[dict[str, object]]) -> ChangeResult:
    valid, rejected = validate_changes(raw)
    assert rejected == []
    with transaction(make_sessionmaker(engine), writes=True) as session:
        return Services(session=session, settings=broker.settings, broker=broker).record_changes(
            [change for _, change in valid], actor=SYSTEM_ACTOR
        )


def test_changes_through_the_api_are_recorded_once_by_a_worker_and_leave_the_text(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(tmp_path, nats_server.url)
    settings = settings_from(env)
    broker = Broker(settings)
    token = token_for(settings, stored_engine)
    originals = [sample_message(f"m{i}", text=f"original text {i}") for i in range(3)]
    changes = [edit("m0", "edited text 0"), edit("m1", "edited text 1"), deletion("m2")]
    with TestClient(create_app(settings, engine=stored_engine)) as client:
        posted = client.post("/v1/messages", json={"messages": originals}, headers=bearer(token))
        assert posted.status_code == 200, posted.text
        published = client.post(
            "/v1/messages/changes",
            json={"changes": [*changes, {"change": "edited", "source": "x", "external_id": "m0"}]},
            headers=bearer(token),
        )
        assert published.status_code == 200, published.text
        body = published.json()
        assert (body["queued"], body["duplicates"], body["edits"], body["deletions"]) == (3, 0, 0, 0)
        assert [rejection["index"] for rejection in body["rejected"]] == [3]
        assert "text" in body["rejected"][0]["error"]
        # A retried publish: JetStream stores each change once.
        again = client.post("/v1/messages/changes", json={"changes": changes}, headers=bearer(token)).json()
        assert (again["queued"], again["duplicates"]) == (0, 3)
        assert count(stored_engine, EDITED) == 0, "with a broker, the web process records nothing itself"

        start_worker(env)
        wait_until(lambda: count(stored_engine, DELETED) == 1, "the worker to record the deletion")
        wait_until(lambda: changes_settled(broker), "every change to be acknowledged")
        wait_until(lambda: worker_stats(broker).get("changes_applied") == 3, "the worker's heartbeat")
        metrics = client.get("/metrics").text
    assert count(stored_engine, EDITED) == 2
    assert count(stored_engine, DELETED) == 1
    assert texts(stored_engine) == {f"m{i}": f"original text {i}" for i in range(3)}
    assert 'hustings_worker_changes_applied_total{worker="w0"} 3.0' in metrics
    assert "hustings_stream_changes_pending 0.0" in metrics
    broker.close()


def test_a_change_published_before_its_message_applies_once_the_message_arrives(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(tmp_path, nats_server.url, HUSTINGS_WORKER_CHANGE_RETRY_SECONDS="0.3")
    broker = Broker(settings_from(env))
    lines = tmp_path / "changes.jsonl"
    lines.write_text(json.dumps(edit("late", "the text as edited")) + "\n")
    command = [sys.executable, "-c", "from hustings.cli.main import app; app()"]
    run_env = os.environ | {"PYTHONPATH": str(SRC)} | env
    ingested = subprocess.run([*command, "ingest", str(lines)], env=run_env, capture_output=True, text=True)
    assert ingested.returncode == 0, ingested.stderr
    assert "published for the workers 1" in ingested.stdout

    start_worker(env)
    wait_until(lambda: worker_stats(broker).get("changes_deferred", 0) >= 2, "the change to be handed back")
    assert count(stored_engine, EDITED) == 0

    with transaction(make_sessionmaker(stored_engine), writes=True) as session:
        result = Services(session=session, settings=broker.settings, broker=broker).ingest(
            [sample_message("late", text="the text as first sent")], actor=SYSTEM_ACTOR
        )
    assert result.accepted == 1
    wait_until(lambda: count(stored_engine, EDITED) == 1, "the change to apply after its message")
    wait_until(lambda: changes_settled(broker), "the change to be acknowledged")
    assert count(stored_engine, EDITED) == 1
    assert texts(stored_engine) == {"late": "the text as first sent"}
    assert worker_stats(broker).get("changes_rejected") == 0
    broker.close()


def test_a_change_whose_message_never_comes_is_rejected_after_its_last_delivery_and_logged(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine, start_worker: StartWorker
) -> None:
    env = broker_env(
        tmp_path,
        nats_server.url,
        HUSTINGS_WORKER_CHANGE_RETRY_SECONDS="0.2",
        HUSTINGS_WORKER_CHANGE_ATTEMPTS="3",
    )
    broker = Broker(settings_from(env))
    assert publish_changes(stored_engine, broker, [deletion("never")]).queued == 1
    start_worker(env)
    wait_until(lambda: worker_stats(broker).get("changes_rejected") == 1, "the change to be rejected")
    wait_until(lambda: changes_settled(broker), "the rejected change to leave the consumer")
    assert worker_stats(broker).get("changes_deferred") == 2
    assert count(stored_engine, DELETED) == 0
    log = (tmp_path / "worker-0.log").read_text()
    assert "rejected: its message was not stored after 3 deliveries" in log
    broker.close()


def test_a_change_redelivered_after_its_commit_records_nothing_twice(
    tmp_path: Path, nats_server: TempNats, stored_engine: Engine
) -> None:
    # As if a worker died between commit and ack: apply, leave unacknowledged, receive again.
    settings = settings_from(broker_env(tmp_path, nats_server.url, HUSTINGS_ASSESS_ON_INGEST="true"))
    with transaction(make_sessionmaker(stored_engine), writes=True) as session:
        Services(session=session, settings=settings).ingest(
            [sample_message("r0", text="first words"), sample_message("r1")], actor=SYSTEM_ACTOR
        )
    broker = Broker(settings)
    assert publish_changes(stored_engine, broker, [edit("r0", "second words"), deletion("r1")]).queued == 2
    broker.close()
    worker = Worker(settings, stored_engine, worker_id="redelivery")

    async def deliver_twice() -> tuple[list[int], list[int]]:
        client = await connect(settings)
        try:
            js = client.jetstream(timeout=settings.broker_timeout_seconds)
            await ensure_stream(js, settings)
            subscription = await js.pull_subscribe_bind(CHANGES_DURABLE, stream=STREAM)
            first = await subscription.fetch(10, timeout=5)
            assert worker.apply_changes(first) == [True, True]
            # Not acknowledged: JetStream redelivers after the ack wait (3 s here).
            second = await subscription.fetch(10, timeout=30)
            assert worker.apply_changes(second) == [True, True]
            for message in second:
                await message.ack()
            return (
                [message.metadata.num_delivered for message in first],
                [message.metadata.num_delivered for message in second],
            )
        finally:
            await client.close()

    # On a thread of its own: a browser test earlier in the session may leave this thread's
    # event loop running (Playwright's sync API), where asyncio.run refuses to start.
    with ThreadPoolExecutor(1) as pool:
        first, second = pool.submit(asyncio.run, deliver_twice()).result(timeout=120)
    assert (first, second) == ([1, 1], [2, 2])
    assert count(stored_engine, EDITED) == 1
    assert count(stored_engine, DELETED) == 1
    reassessed = "SELECT count(*) FROM events WHERE kind = 'message.assessed' AND subject_id = :id"
    with stored_engine.connect() as connection:
        r0 = connection.execute(text("SELECT id FROM messages WHERE external_id = 'r0'")).scalar_one()
        assert connection.execute(text(reassessed), {"id": r0}).scalar_one() == 2  # as received, and the edit
    assert texts(stored_engine)["r0"] == "first words"


def test_with_the_broker_down_changes_answer_503_and_record_nothing(
    tmp_path: Path, stored_engine: Engine
) -> None:
    env = broker_env(tmp_path, f"nats://127.0.0.1:{_free_port()}", HUSTINGS_BROKER_TIMEOUT_SECONDS="1")
    settings = settings_from(env)
    with transaction(make_sessionmaker(stored_engine), writes=True) as session:
        Services(session=session, settings=settings).ingest(  # no broker given: in process
            [sample_message("d0")], actor=SYSTEM_ACTOR
        )
    token = token_for(settings, stored_engine)
    with TestClient(create_app(settings, engine=stored_engine)) as client:
        refused = client.post(
            "/v1/messages/changes", json={"changes": [deletion("d0")]}, headers=bearer(token)
        )
    assert refused.status_code == 503
    assert int(refused.headers["Retry-After"]) > 0
    assert "try again" in refused.json()["detail"]
    assert count(stored_engine, DELETED) == 0
    assert count(stored_engine, STORED) == 1
