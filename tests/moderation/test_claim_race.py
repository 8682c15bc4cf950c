"""Two moderators claim one item at the same moment on PostgreSQL: one gets it, the other a Conflict."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.errors import Conflict
from hustings.moderation import work
from hustings.moderation.events import ReporterKind
from hustings.moderation.reports import file_report
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker
from tests.conftest import T0, migrated_database, sample_message
from tests.moderation.conftest import person

pytestmark = pytest.mark.postgres


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[Engine]:
    """A database of its own: the race needs committed rows, which the rolled-back fixture cannot give."""
    with migrated_database(postgres_url, f"hustings_race_{os.getpid()}") as engine:
        yield engine


def test_simultaneous_claims_give_one_holder(fresh_postgres: Engine, tmp_path: Path) -> None:
    factory = make_sessionmaker(fresh_postgres)
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=False)
    clock = FixedClock(T0)

    def services() -> Services:
        return Services(session=factory(), settings=settings, clock=clock)

    setup = services()
    (message_id,) = setup.ingest([sample_message("race")], actor="system").ids
    file_report(
        setup.log,
        clock,
        message_id=message_id,
        reporter=person("u", Role.ANALYST),
        reporter_kind=ReporterKind.USER,
        category="threat",
    )
    setup.session.commit()
    setup.session.close()

    sam, jo = person("sam", Role.MODERATOR), person("jo", Role.MODERATOR)
    first = services()
    first.session.begin()
    work.claim(first.log, clock, moderator=sam, message_id=message_id)  # written, not yet committed
    outcome: list[BaseException | str] = []

    def second_claim() -> None:
        second = services()
        try:
            with work.refused_on_race():
                work.claim(second.log, clock, moderator=jo, message_id=message_id)  # waits on sam's key
                second.session.commit()
            outcome.append("claimed")
        except BaseException as error:
            outcome.append(error)
        finally:
            second.session.close()

    thread = threading.Thread(target=second_claim)
    thread.start()
    time.sleep(1.0)  # let jo's insert reach the unique index and wait there
    first.session.commit()
    first.session.close()
    thread.join(timeout=20)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    check = services()
    status = check.events.status("message", message_id)
    assert status is not None and status.assignee == sam.id
    check.session.close()
