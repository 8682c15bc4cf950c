"""Two ingests of the same message at the same moment: it is stored once, and the one that comes
second counts it as a duplicate, as it would had it come a moment later (on both databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from hustings.messages.ingest import IngestResult
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker
from hustings.storage.messages import SqlMessageRepository
from hustings.storage.tables import MessageRow
from tests.conftest import race_behind, sample_message


@pytest.mark.postgres
def test_the_second_of_two_simultaneous_ingests_counts_the_message_as_a_duplicate(
    fresh_postgres: Engine, tmp_path: Path
) -> None:
    factory = make_sessionmaker(fresh_postgres)
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=False)
    batch = [sample_message("twice"), sample_message("once-more", text="Another message.")]

    first = Services(session=factory(), settings=settings)
    first.session.begin()
    won = first.ingest(batch[:1], actor="system")  # stored, not yet committed

    def second_ingest() -> IngestResult:
        with factory() as session:
            # Waits on the first's message row, and skips it once the first commits.
            result = Services(session=session, settings=settings).ingest(batch, actor="system")
            session.commit()
            return result

    result = race_behind(second_ingest, release_first=first.session.commit)
    first.session.close()
    assert isinstance(result, IngestResult), result
    assert (won.accepted, won.duplicates) == (1, 0)
    assert (result.accepted, result.duplicates, result.rejected) == (1, 1, [])
    assert result.ids[0] == won.ids[0] and [message.id for message in result.stored] == result.ids[1:]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(MessageRow)) == 2
        check = Services(session=session, settings=settings)
        events = check.events.events_for("message", won.ids[0])
        assert [event.kind for event in events] == ["message.ingested"]
        status = check.events.status("message", result.ids[1])
        assert status is not None and status.event_count == 1


def test_adding_a_message_already_stored_stores_it_once_and_says_so(services: Services) -> None:
    """What the second ingest relies on, on SQLite as well: `add_many` returns what it stored."""
    (stored,) = services.ingest([sample_message("dup")], actor="system").stored
    repository = SqlMessageRepository(services.session)
    assert repository.add_many([stored]) == set()
    assert services.session.scalar(select(func.count()).select_from(MessageRow)) == 1
