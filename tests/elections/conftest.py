"""Fixtures for the elections tests: the Kelbridge sample registers, and the service on its
in-memory store (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from hustings.clock import FixedClock
from hustings.elections.memory import InMemoryElectionStore
from hustings.elections.model import ElectionDates
from hustings.elections.service import Elections
from hustings.events import EventLog, InMemoryEventStore
from hustings.events.registry import default_reducers

SAMPLES = Path(__file__).parent
FIRST = (SAMPLES / "kelbridge-2028-04-09.csv").read_text(encoding="utf-8")
"""Democracy Club's register for Kelbridge as first published: 11 candidates on 4 ballots."""
NEWER = (SAMPLES / "kelbridge-2028-04-16.csv").read_text(encoding="utf-8")
"""A week later: a party renamed, new handles, one candidate gone and one new."""
KELBRIDGE = "local.kelbridge.2028-05-04"
RIVERSIDE = "local.kelbridge.riverside.2028-05-04"
CASTLE = "local.kelbridge.castle.2028-05-04"
ST_ANNES = "local.kelbridge.st-annes.by.2028-05-04"
KELBRIDGE_DATES = ElectionDates(
    notice_of_election=date(2028, 3, 27),
    close_of_nominations=date(2028, 4, 4),
    polling_day=date(2028, 5, 4),
    count_day=date(2028, 5, 5),
)
IN_PERIOD = datetime(2028, 4, 20, 12, tzinfo=UTC)
ADMIN = "user:u_admin"


@dataclass
class World:
    elections: Elections
    store: InMemoryElectionStore
    events: InMemoryEventStore
    clock: FixedClock


@pytest.fixture
def world() -> World:
    events = InMemoryEventStore()
    store = InMemoryElectionStore(events)
    clock = FixedClock(IN_PERIOD)
    return World(Elections(store, EventLog(events, default_reducers()), clock), store, events, clock)


@pytest.fixture
def kelbridge(world: World) -> World:
    """The world with the Kelbridge election created, and no candidates yet."""
    world.elections.create(KELBRIDGE, "Kelbridge local election", KELBRIDGE_DATES, actor=ADMIN)
    return world


def with_row(text: str, row: str) -> str:
    """The CSV with one more row at the end."""
    return text.rstrip("\n") + "\n" + row + "\n"


def header_of(text: str) -> list[str]:
    return text.splitlines()[0].split(",")


def row(text: str, **cells: str) -> str:
    """A row for the CSV `text`'s header: the given cells, the rest empty."""
    return ",".join(cells.get(column, "") for column in header_of(text))
