"""Protection as a service over its in-memory store, no database: ingest feeds the intake hook,
the shield and the sweep follow the log, acting on a whole incident counts each message or
account once, incidents and folders stay within the caller's scope, and every status rebuilds
from the log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import pytest

from hustings.auth.model import Role, User
from hustings.clock import FixedClock
from hustings.errors import NotFound
from hustings.events import EventLog, InMemoryEventStore, fold, user_actor
from hustings.events.registry import default_reducers
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.messages.ingest import IngestResult, ingest
from hustings.messages.model import Message, message_id
from hustings.moderation.memory import InMemoryModerationStore
from hustings.moderation.policy import load_policy
from hustings.moderation.service import Moderation
from hustings.protection import events as ev
from hustings.protection.controls import account_ref
from hustings.protection.events import DeliveryState, IncidentState, ShieldState
from hustings.protection.memory import InMemoryProtectionStore
from hustings.protection.service import Protection
from tests.conftest import T0
from tests.protection.conftest import WordDetector, message, pile_on

TARGET = "t_priya"
OTHER = "t_tom"
ALICE = user_actor("u_alice")


class MemoryMessages:
    """The `MessageRepository` ingest writes to, keeping messages in the protection store."""

    def __init__(self, store: InMemoryProtectionStore, handles: dict[tuple[str, str], str]) -> None:
        self.store = store
        self.handles = handles

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        return {i for i in ids if i in self.store.messages}

    def resolve_targets(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        return {ref: self.handles[ref] for ref in refs if ref in self.handles}

    def add_many(self, messages: Sequence[Message]) -> set[str]:
        new = [message for message in messages if message.id not in self.store.messages]
        self.store.add_messages(new)
        return {message.id for message in new}


class World:
    def __init__(self) -> None:
        self.clock = FixedClock(T0)
        self.events = InMemoryEventStore()
        self.log = EventLog(self.events, default_reducers())
        self.store = InMemoryProtectionStore(self.events)
        for target_id in (TARGET, OTHER):
            self.store.add_target(target_id)
        self.messages = MemoryMessages(self.store, {("x", "priya"): TARGET, ("x", "tom"): OTHER})
        # Reports filed from protection go to moderation, here over its own in-memory store.
        self.moderation = Moderation(InMemoryModerationStore(self.events), self.log, self.clock, load_policy())
        self.protection = Protection(self.store, self.log, self.clock, reports=self.moderation)

    def ingest(self, raw: Sequence[dict[str, Any]]) -> IngestResult:
        return ingest(
            raw,
            repository=self.messages,
            log=self.log,
            clock=self.clock,
            actor=ALICE,
            detector=WordDetector(),
            hooks=[self.protection.intake],
        )

    def delivery(self, external_id: str, target_id: str = TARGET) -> str:
        status = self.store.status(ev.DELIVERY, ev.delivery_id(target_id, message_id("x", external_id)))
        assert status is not None
        return status.state


@pytest.fixture
def world() -> World:
    return World()


def _ordinary(count: int) -> list[dict[str, Any]]:
    return [
        message(
            f"o{i}",
            f"Your housing plan is weak, point {i}",
            at=T0 - timedelta(hours=6, minutes=-7 * i),
            author=f"v{i}",
        )
        for i in range(count)
    ]


def test_a_pile_on_opens_an_incident_suggests_the_shield_and_delivers(world: World) -> None:
    world.ingest(_ordinary(40))
    world.ingest(pile_on(T0, 30))
    (incident,) = world.protection.incidents([TARGET])
    assert incident.state == IncidentState.OPEN and len(incident.data["message_ids"]) == 30
    assert world.protection.open_incidents_of(OTHER) == []
    shield = world.protection.shield(TARGET)
    assert shield.state == ShieldState.SUGGESTED and shield.suggested_by == incident.subject_id
    assert world.delivery("p29") == DeliveryState.DELIVERED  # suggested, not on
    digest = world.protection.digest(TARGET)
    assert digest["open_incidents"] == [
        {"id": incident.subject_id, "severity": incident.priority, "messages": 30}
    ]
    assert digest["counts"]["delivered"] == 70 and digest["counts"]["hostile"] == 30


def test_the_standing_choice_holds_the_rest_and_the_sweep_closes_and_recaps(world: World) -> None:
    world.protection.change_settings(TARGET, actor=ALICE, auto_shield=True)
    world.ingest(pile_on(T0, 40))
    assert world.delivery("p0") == DeliveryState.DELIVERED and world.delivery("p39") == DeliveryState.HELD
    held = world.protection.inbox(TARGET, "held")
    assert held and all(item.masked for item in held)
    assert world.protection.digest(TARGET)["reasons"]["shield_hostile"] == len(held)
    world.clock.advance(hours=3)
    assert world.protection.sweep() == {"incidents_closed": 1, "shields_expired": 0}
    world.clock.advance(days=7)
    assert world.protection.sweep() == {"incidents_closed": 0, "shields_expired": 1}
    shield = world.protection.shield(TARGET)
    assert shield.state == ShieldState.OFF and shield.last_recap is not None
    assert shield.last_recap["held"] == len(held)
    rebuilt = fold(default_reducers(), world.events.iter_events())
    assert rebuilt == world.events.statuses


def test_the_detector_reads_its_saved_state_afresh_each_run(world: World) -> None:
    world.ingest(pile_on(T0, 30))
    (incident,) = world.protection.incidents([TARGET])
    # Another writer moved the state on (here: forgot the incident); this service must not
    # carry on from what it held in memory.
    world.store.detector_states.clear()
    world.clock.advance(hours=3)
    assert world.protection.sweep()["incidents_closed"] == 0
    assert world.store.status(ev.INCIDENT, incident.subject_id) == incident


def test_acting_on_a_whole_incident_counts_each_message_and_account_once(world: World) -> None:
    world.ingest(pile_on(T0, 30))
    (incident,) = world.protection.incidents([TARGET])
    reporter = User("u_priya", "priya", frozenset({Role.TARGET}), target_ids=(TARGET,))
    assert world.protection.report_incident(incident.subject_id, reporter=reporter, category="abuse") == 30
    assert world.protection.report_incident(incident.subject_id, reporter=reporter, category="abuse") == 0
    one = world.store.status(MESSAGE, incident.data["message_ids"][0])
    assert one is not None and one.data["reporters"] == [reporter.id]
    assert world.protection.block_all_senders(incident.subject_id, actor=ALICE) == 30
    assert world.protection.block_all_senders(incident.subject_id, actor=ALICE) == 0
    assert len(world.protection.controls(TARGET).blocked) == 30
    assert world.protection.bundle_incident(incident.subject_id, actor=ALICE) == 30
    assert [item["message_id"] for item in world.protection.bundle(TARGET)] == incident.data["message_ids"]
    actions = world.protection.incident(incident.subject_id).data["actions"]
    # The timeline notes each action once; the same person repeating it at once adds nothing.
    assert [(a["action"], a["count"]) for a in actions] == [
        ("report_all", 30),
        ("block_all", 30),
        ("bundle_all", 30),
    ]


def test_an_incident_is_seen_only_within_the_callers_scope(world: World) -> None:
    world.ingest(pile_on(T0, 30))
    (incident,) = world.protection.incidents([TARGET])
    mine = User("u_dan", "dan", frozenset({Role.DELEGATE}), target_ids=(TARGET,))
    theirs = User("u_eve", "eve", frozenset({Role.DELEGATE}), target_ids=(OTHER,))
    moderator = User("u_mo", "mo", frozenset({Role.MODERATOR}))
    assert world.protection.visible_incident(mine, incident.subject_id) == incident
    assert world.protection.visible_incident(moderator, incident.subject_id) == incident
    with pytest.raises(NotFound, match="incident_id"):
        world.protection.visible_incident(theirs, incident.subject_id)
    with pytest.raises(NotFound, match="incident_id"):
        world.protection.visible_incident(mine, "inc_nope")


def test_controls_hide_and_a_release_moves_a_message_between_folders(world: World) -> None:
    world.protection.add_accounts(TARGET, "blocked", [account_ref("x", "@Troll")], actor=ALICE)
    world.ingest(
        [message("1", "hello", at=T0, author="troll"), message("2", "fine policy", at=T0, author="ok")]
    )
    (hidden,) = world.protection.inbox(TARGET, "hidden")
    assert hidden.message.external_id == "1" and [r["code"] for r in hidden.why] == ["blocked"]
    world.protection.release(TARGET, hidden.message.id, actor=ALICE)
    assert world.protection.inbox(TARGET, "hidden") == []
    inbox = world.protection.inbox(TARGET, "inbox")  # both sent at T0: by id
    assert [item.message.id for item in inbox] == sorted([message_id("x", "1"), message_id("x", "2")])
    assert [item.state for item in inbox if item.message.external_id == "1"] == [DeliveryState.RELEASED]
    assert world.protection.folder_counts(TARGET) == {
        "delivered": 1,
        "released": 1,
        "held": 0,
        "hidden": 0,
        "hostile": 0,
    }
    with pytest.raises(NotFound, match="folder"):
        world.protection.inbox(TARGET, "spam")
