"""A complaints world on the in-memory stores: one party's team (an officer, an investigator with
a conflict, panel members, oversight, a senior officer off the case) and a second party's officer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from hustings.auth.model import Role
from hustings.auth.second_factor import SecretBox
from hustings.clock import FixedClock
from hustings.complaints.code import load_code
from hustings.complaints.memory import InMemoryComplaintStore
from hustings.complaints.model import Complainant, NewComplaint, Source, Viewer, Where
from hustings.complaints.service import Complaints
from hustings.events import EventLog, InMemoryEventStore
from hustings.events.registry import default_reducers

PARTY = "example-party"
OTHER = "other-party"
ADMIN = Viewer("admin", frozenset({Role.ADMIN}), None)


@dataclass
class World:
    complaints: Complaints
    events: InMemoryEventStore
    clock: FixedClock

    def as_(self, user_id: str, *roles: Role) -> Viewer:
        return self.complaints.viewer(user_id, roles)


def complaint(**changes: object) -> NewComplaint:
    fields: dict[str, object] = {
        "party": PARTY,
        "category": "harassment",
        "what": "Repeated abusive replies to a councillor's posts.",
        "where": Where(online=True, links=("https://social.example/p/1",), message_ids=("m1",)),
        "when": date(2026, 11, 20),
        "source": Source.WEB_FORM,
        "complainant": Complainant(name="Ann Example", email="ann@example.org"),
        "respondent_member": "M1001",
    }
    fields.update(changes)
    return NewComplaint(**fields)  # type: ignore[arg-type]  # the fields above, with the test's changes


def new_world() -> World:
    events = InMemoryEventStore()
    clock = FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    counter = itertools.count(1)
    complaints = Complaints(
        InMemoryComplaintStore(events),
        EventLog(events, default_reducers()),
        clock,
        load_code(),
        SecretBox("a test service secret"),
        survey_secret="a test survey secret",
        roles_of=lambda user_id: (
            frozenset({Role.PANEL_MEMBER}) if user_id.startswith("panel") else frozenset()
        ),
        references=lambda: f"C-{next(counter):04d}",
    )
    for user_id in ("officer", "investigator", "conflicted", "panel1", "panel2", "oversight", "senior"):
        complaints.enrol(user_id, PARTY, by=ADMIN)
    complaints.enrol("stranger", OTHER, by=ADMIN)
    return World(complaints, events, clock)


@pytest.fixture
def world() -> World:
    return new_world()
