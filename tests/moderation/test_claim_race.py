"""Two moderators act on one item at the same moment on PostgreSQL: one of them wins, the other
gets a Conflict, whether they do the same thing (both claim: the same idempotency key) or
different things (one claims, one escalates: different keys, one status)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hustings.auth.model import Role
from hustings.clock import FixedClock
from hustings.errors import Conflict
from hustings.events import fold
from hustings.events.registry import default_reducers
from hustings.moderation import work
from hustings.moderation.events import ReporterKind
from hustings.moderation.reports import file_report
from hustings.moderation.status import ItemState
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_sessionmaker
from tests.conftest import T0, race_behind, sample_message
from tests.moderation.conftest import person

pytestmark = pytest.mark.postgres


@dataclass
class ReportedItem:
    message_id: str
    clock: FixedClock
    services: Callable[[], Services]
    """A new session's services, committing on their own."""


@pytest.fixture
def reported(fresh_postgres: Engine, tmp_path: Path) -> ReportedItem:
    """An item waiting in a queue, committed."""
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
    return ReportedItem(message_id=message_id, clock=clock, services=services)


def race_sams_claim(reported: ReportedItem, jo_acts: Callable[[Services], object]) -> BaseException | str:
    """Sam claims the item and, before he commits, Jo acts on it as she read it; then Sam commits.

    Returns what became of Jo's action: "done", or the error it raised.
    """
    sam = person("sam", Role.MODERATOR)
    first = reported.services()
    first.session.begin()
    work.claim(first.log, reported.clock, moderator=sam, message_id=reported.message_id)  # not yet committed

    def second() -> str:
        services = reported.services()
        try:
            with work.refused_on_race():
                jo_acts(services)  # waits on sam's key, or on sam's row
                services.session.commit()
            return "done"
        finally:
            services.session.close()

    outcome = race_behind(second, release_first=first.session.commit)
    first.session.close()
    return outcome


def test_simultaneous_claims_give_one_holder(reported: ReportedItem) -> None:
    jo = person("jo", Role.MODERATOR)
    outcome = race_sams_claim(
        reported,
        lambda services: work.claim(
            services.log, reported.clock, moderator=jo, message_id=reported.message_id
        ),
    )
    assert isinstance(outcome, Conflict), outcome
    check = reported.services()
    status = check.events.status("message", reported.message_id)
    assert status is not None and status.assignee == "u_sam"
    check.session.close()


def test_a_claim_and_an_escalation_at_once_leave_the_first_and_the_log_agrees(reported: ReportedItem) -> None:
    jo = person("jo", Role.MODERATOR)
    # Jo reads the item as reported, so escalating it is allowed; her event's key is not Sam's.
    outcome = race_sams_claim(
        reported,
        lambda services: work.escalate(
            services.log,
            reported.clock,
            moderator=jo,
            message_id=reported.message_id,
            reason="needs a senior",
        ),
    )
    assert isinstance(outcome, Conflict), outcome
    check = reported.services()
    status = check.events.status("message", reported.message_id)
    logged = check.events.events_for("message", reported.message_id)
    assert status is not None and status.state == ItemState.CLAIMED and status.assignee == "u_sam"
    assert fold(default_reducers(), logged)[("message", reported.message_id)] == status
    check.session.close()
