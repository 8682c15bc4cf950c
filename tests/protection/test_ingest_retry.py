"""A batch that meets a concurrent writer on one of its statuses is run again, not refused.

During a pile-on, an ingest batch grows the open incident while someone acts on the same incident
(or another batch grows it). On PostgreSQL the second writer finds the incident's status changed
under it; ingest is idempotent, so `Services.ingest` runs the batch again on a fresh read and the
message is stored, instead of the platform getting a 409 for a batch it did nothing wrong with.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hustings.clock import FixedClock
from hustings.events import user_actor
from hustings.messages.ingest import IngestResult
from hustings.protection import events as ev
from hustings.protection.events import IncidentAction, IncidentState
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker
from tests.conftest import T0, race_behind
from tests.protection.conftest import WordDetector, make_target, message, pile_on


@pytest.mark.postgres
def test_a_batch_that_grows_an_incident_someone_is_acting_on_is_stored(
    fresh_postgres: Engine, tmp_path: Path
) -> None:
    factory = make_sessionmaker(fresh_postgres)
    settings = Settings(environment="test", data_dir=tmp_path, assess_on_ingest=True)
    clock = FixedClock(T0 + timedelta(minutes=40))

    def services(session: Session) -> Services:
        return Services(session=session, settings=settings, clock=clock, detector_provider=WordDetector)

    with factory() as session:
        setup = services(session)
        target = make_target(setup)
        setup.ingest(pile_on(T0, 30), actor="system")
        session.commit()
        (incident,) = setup.protection.incidents([target.id], state=IncidentState.OPEN)

    acting = services(factory())
    acting.session.begin()
    acting.protection.record_incident_action(
        incident.subject_id, IncidentAction.BLOCK_ALL, actor=user_actor("u_aisha"), count=30
    )  # the incident's status changed, not yet committed

    late = message(
        "late-1", "You traitor scum, resign now", at=T0 + timedelta(minutes=31), author="late", new=True
    )

    def grow() -> IngestResult:
        with factory() as session:
            result = services(session).ingest([late], actor="system")
            session.commit()
            return result

    result = race_behind(grow, release_first=acting.session.commit)
    acting.session.close()
    assert isinstance(result, IngestResult), result
    assert (result.accepted, result.rejected) == (1, [])
    with factory() as session:
        check = services(session)
        status = check.protection.incident(incident.subject_id)
        assert result.ids[0] in status.data["message_ids"]
        kinds = [event.kind for event in check.events.events_for(ev.INCIDENT, incident.subject_id)]
        assert ev.INCIDENT_ACTED in kinds
