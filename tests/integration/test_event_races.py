"""A lost race in the event store is `DuplicateEvent`, in one place, on both databases: a key
already in the table, or a status that moved on since the writer read it.

It leaves the log unchanged and the transaction usable, so a writer who lost a race is told so
(409), and a batch that overlaps a concurrent writer's counts the overlap as duplicates.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from hustings.errors import DuplicateEvent
from hustings.events import EventLog, InMemoryEventStore, apply, fold
from hustings.events.log import AppendResult
from hustings.events.registry import default_reducers
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker
from hustings.storage.events import SqlEventStore
from tests.conftest import race_behind
from tests.integration.test_storage import make_event


def test_a_key_already_in_the_table_is_a_duplicate_event_and_the_transaction_goes_on(
    services: Services,
) -> None:
    first = make_event(1, "m_race", "message.ingested", [])
    services.log.append(first)
    # Straight at the store, past the log's own check: the database's unique index refuses it.
    with pytest.raises(DuplicateEvent):
        services.events.append([make_event(2, "m_race", "message.assessed", []), first], [], read={})
    services.log.append(make_event(3, "m_race", "message.assessed", ["abuse"]))  # the transaction is usable
    services.session.flush()
    kinds = [event.idempotency_key for event in services.events.events_for("message", "m_race")]
    assert kinds == [first.idempotency_key, "message.assessed:m_race:3"]


def test_the_in_memory_store_refuses_a_held_key_the_same_way() -> None:
    store = InMemoryEventStore()
    first = make_event(1, "m_1", "message.ingested", [])
    store.append([first], [], read={})
    with pytest.raises(DuplicateEvent):
        store.append([make_event(2, "m_1", "message.assessed", []), first], [], read={})
    assert [event.idempotency_key for event in store.events] == [first.idempotency_key]


def test_writing_outside_a_transaction_is_refused(sqlite_engine: Engine) -> None:
    with make_sessionmaker(sqlite_engine)() as session:
        with pytest.raises(RuntimeError, match="open transaction"):
            SqlEventStore(session).append([make_event(1, "m_loose", "message.ingested", [])], [], read={})
        assert not session.in_transaction()


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

    def second_batch() -> AppendResult:
        with factory() as session:
            # Waits on the shared key at the unique index.
            result = EventLog(SqlEventStore(session), default_reducers()).append_many([shared, own])
            session.commit()
            return result

    result = race_behind(second_batch, release_first=first.session.commit)
    first.session.close()
    assert isinstance(result, AppendResult), result
    assert [event.idempotency_key for event in result.duplicates] == [shared.idempotency_key]
    assert [event.idempotency_key for event in result.appended] == [own.idempotency_key]
    with factory() as session:
        status = SqlEventStore(session).status("message", "m_batch")
    assert status is not None and status.event_count == 2


@pytest.mark.postgres
def test_two_writers_who_read_one_status_cannot_both_change_it(fresh_postgres: Engine) -> None:
    """Different keys, one subject: the second writer would apply its event to a status that is gone."""
    factory = make_sessionmaker(fresh_postgres)
    with factory() as session, session.begin():
        EventLog(SqlEventStore(session), default_reducers()).append(
            make_event(1, "m_both", "message.ingested", [])
        )

    first = factory()
    first.begin()
    EventLog(SqlEventStore(first), default_reducers()).append(
        make_event(2, "m_both", "message.assessed", ["abuse"])
    )  # written, not yet committed

    def second_writer() -> None:
        with factory() as session:
            # Reads the status as it was before the first writer's event, then waits on its row.
            EventLog(SqlEventStore(session), default_reducers()).append(
                make_event(3, "m_both", "message.assessed", ["threat"])
            )
            session.commit()

    outcome = race_behind(second_writer, release_first=first.commit)
    first.close()
    assert isinstance(outcome, DuplicateEvent), outcome
    with factory() as session, session.begin():
        store = SqlEventStore(session)
        status = store.status("message", "m_both")
        logged = store.events_for("message", "m_both")
        assert status is not None and status.event_count == len(logged) == 2
        assert status.data["flagged"] == ["abuse"]
        assert fold(default_reducers(), logged)[("message", "m_both")] == status


def test_the_in_memory_store_refuses_a_status_that_moved_on_since_it_was_read() -> None:
    reducers = default_reducers()
    log = EventLog(InMemoryEventStore(), reducers)
    log.append(make_event(1, "m_1", "message.ingested", []))
    read = log.store.load_statuses([("message", "m_1")])
    log.append(make_event(2, "m_1", "message.assessed", ["abuse"]))  # another writer, after the read
    late = make_event(3, "m_1", "message.assessed", ["threat"])
    with pytest.raises(DuplicateEvent, match="changed since it was read"):
        log.store.append([late], [apply(reducers, read[("message", "m_1")], late)], read=read)
    (status,) = log.store.load_statuses([("message", "m_1")]).values()
    assert status.event_count == 2 and status.data["flagged"] == ["abuse"]
