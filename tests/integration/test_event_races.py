"""A unique-key violation in the event store is `DuplicateEvent`, in one place, on both databases.

It leaves the log unchanged and the transaction usable, so a writer who lost a race is told so
(409), and a batch that overlaps a concurrent writer's counts the overlap as duplicates.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hustings.errors import DuplicateEvent
from hustings.events import EventLog, InMemoryEventStore
from hustings.events.log import AppendResult
from hustings.events.registry import default_reducers
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker
from hustings.storage.events import SqlEventStore
from tests.conftest import migrated_database
from tests.integration.test_storage import make_event


def test_a_key_already_in_the_table_is_a_duplicate_event_and_the_transaction_goes_on(
    services: Services,
) -> None:
    first = make_event(1, "m_race", "message.ingested", [])
    services.log.append(first)
    # Straight at the store, past the log's own check: the database's unique index refuses it.
    with pytest.raises(DuplicateEvent):
        services.events.insert_events([make_event(2, "m_race", "message.assessed", []), first])
    services.log.append(make_event(3, "m_race", "message.assessed", ["abuse"]))  # the transaction is usable
    services.session.flush()
    kinds = [event.idempotency_key for event in services.events.events_for("message", "m_race")]
    assert kinds == [first.idempotency_key, "message.assessed:m_race:3"]


def test_the_in_memory_store_refuses_a_held_key_the_same_way() -> None:
    store = InMemoryEventStore()
    first = make_event(1, "m_1", "message.ingested", [])
    store.insert_events([first])
    with pytest.raises(DuplicateEvent):
        store.insert_events([make_event(2, "m_1", "message.assessed", []), first])
    assert [event.idempotency_key for event in store.events] == [first.idempotency_key]


def test_writing_outside_a_transaction_is_refused(sqlite_engine: Engine) -> None:
    with make_sessionmaker(sqlite_engine)() as session:
        with pytest.raises(RuntimeError, match="open transaction"):
            SqlEventStore(session).insert_events([make_event(1, "m_loose", "message.ingested", [])])
        assert not session.in_transaction()


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[Engine]:
    """A database of its own: the race needs two committed transactions."""
    with migrated_database(postgres_url, f"hustings_event_race_{os.getpid()}") as engine:
        yield engine


@pytest.mark.postgres
def test_a_batch_that_meets_a_concurrent_writer_counts_the_overlap_as_duplicates(
    fresh_postgres: Engine, tmp_path: Path
) -> None:
    factory = make_sessionmaker(fresh_postgres)
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=False)
    shared = make_event(1, "m_batch", "message.ingested", [])
    own = make_event(2, "m_batch", "message.assessed", ["abuse"])

    first = Services(session=factory(), settings=settings)
    first.session.begin()
    first.log.append(shared)  # written, not yet committed
    outcome: list[AppendResult | BaseException] = []

    def second_batch() -> None:
        with factory() as session:
            log = EventLog(SqlEventStore(session), default_reducers())
            try:
                result = log.append_many([shared, own])  # waits on the shared key at the unique index
                session.commit()
                outcome.append(result)
            except BaseException as error:
                outcome.append(error)

    thread = threading.Thread(target=second_batch)
    thread.start()
    time.sleep(1.0)  # let the second insert reach the unique index and wait there
    first.session.commit()
    first.session.close()
    thread.join(timeout=20)
    (result,) = outcome
    assert isinstance(result, AppendResult), result
    assert [event.idempotency_key for event in result.duplicates] == [shared.idempotency_key]
    assert [event.idempotency_key for event in result.appended] == [own.idempotency_key]
    with factory() as session:
        status = SqlEventStore(session).status("message", "m_batch")
    assert status is not None and status.event_count == 2
