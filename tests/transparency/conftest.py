"""Load the golden event log into a database, with the targets it names."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hustings.events import Event
from hustings.services import Services
from hustings.targets.model import TargetRole
from tests.transparency.logs import GOLDEN, load_log, load_places, load_roles


def seed_golden(services: Services) -> list[Event]:
    """The golden log's events and targets, stored; the caller's session is committed."""
    seed_targets(services)
    events = load_log(GOLDEN / "log.jsonl")
    services.log.append_many(events)
    services.session.commit()
    return events


def seed_targets(services: Services) -> None:
    """The targets the golden log names, stored (not committed)."""
    places = load_places()
    for target_id, role in load_roles().items():
        services.targets.create(
            name=target_id,
            role=TargetRole(role),
            party=None,
            constituency=None,
            handles=[],
            now=datetime(2026, 1, 1, tzinfo=UTC),
            target_id=target_id,
            country=places[target_id]["country"],
            nation=places[target_id].get("nation"),
        )


@pytest.fixture
def golden_db(services: Services) -> list[Event]:
    return seed_golden(services)
