"""The referral reducer: a lifecycle from events, rebuildable from the log, custody read from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hustings.events import EventLog, InMemoryEventStore
from hustings.events.registry import default_reducers
from hustings.referrals.model import (
    REFERRAL_CREATED,
    REFERRAL_EXPORTED,
    REFERRAL_OUTCOME,
    REFERRAL_PACK_BUILT,
    REFERRAL_SENT,
    REFERRAL_STATUS_UPDATED,
    REFERRAL_VIEWED,
    chain_of_custody,
    referral_event,
)
from tests.referrals.builders import T0

CREATED = {
    "message_ids": ["m_1"],
    "incident_id": None,
    "target_id": "t_priya",
    "force": "",
    "unit": "",
    "note": "",
    "urgent": True,
    "urgent_reasons": ["m_1: a threat with a time 'tonight'"],
    "first_report_at": T0.isoformat(),
}
LATER = {
    REFERRAL_PACK_BUILT: {"pack_id": "p_1", "pack_sha256": "ab" * 32, "items": 4, "filename": "x.zip"},
    REFERRAL_VIEWED: {"what": "referral"},
    REFERRAL_EXPORTED: {"what": "pack p_1"},
    REFERRAL_SENT: {"force": "Fenshire Police", "unit": "PLaIT", "via": "secure email", "pack_id": "p_1"},
    REFERRAL_STATUS_UPDATED: {"police_status": "crime_recorded", "crime_reference": "FN/123/26", "note": ""},
    REFERRAL_OUTCOME: {"outcome": "charged", "note": ""},
}


def log_of(kinds: list[str], referral_id: str = "r_1") -> list[Any]:
    events = [
        referral_event(
            REFERRAL_CREATED, referral_id, actor="user:u1", at=T0 + timedelta(hours=1), payload=CREATED
        )
    ]
    for index, kind in enumerate(kinds, start=2):
        events.append(
            referral_event(
                kind, referral_id, actor="user:u1", at=T0 + timedelta(hours=index), payload=LATER[kind]
            )
        )
    return events


def test_a_referral_moves_from_draft_to_closed_and_keeps_what_the_police_said() -> None:
    log = EventLog(InMemoryEventStore(), default_reducers())
    states = [
        log.append(event).state
        for event in log_of([REFERRAL_PACK_BUILT, REFERRAL_SENT, REFERRAL_STATUS_UPDATED, REFERRAL_OUTCOME])
    ]
    assert states == ["draft", "pack_built", "sent", "with_police", "closed"]
    status = log.store.statuses[("referral", "r_1")]  # type: ignore[attr-defined]
    assert status.data["crime_reference"] == "FN/123/26"
    assert status.data["force"] == "Fenshire Police" and status.data["unit"] == "PLaIT"
    assert status.data["hours_from_first_report_to_referral"] == 3.0  # reported at T0, sent at T0 + 3 h
    assert status.data["outcome"] == "charged"
    assert status.priority == 1.0 and status.category == "urgent"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(sorted(LATER)), max_size=12))
def test_status_rebuilt_from_the_log_equals_the_incremental_one(kinds: list[str]) -> None:
    store = InMemoryEventStore()
    log = EventLog(store, default_reducers())
    events = log_of(kinds)
    for event in events:
        log.append(event)
    incremental = dict(store.statuses)
    assert log.rebuild() == len(events)
    assert store.statuses == incremental
    custody = chain_of_custody(store.events)
    assert custody[0].action == "created"
    assert len(custody) == len(events)
    assert sum(link.action == "viewed" for link in custody) == kinds.count(REFERRAL_VIEWED)


def test_views_and_exports_repeat_but_creation_does_not() -> None:
    log = EventLog(InMemoryEventStore(), default_reducers())
    log.append(
        referral_event(REFERRAL_CREATED, "r_2", actor="u", at=T0, payload=CREATED, key="referral.created:r_2")
    )
    result = log.append_many(
        [
            referral_event(
                REFERRAL_CREATED, "r_2", actor="u", at=T0, payload=CREATED, key="referral.created:r_2"
            )
        ]
    )
    assert result.duplicates and not result.appended
    for _ in range(2):
        log.append(referral_event(REFERRAL_VIEWED, "r_2", actor="u", at=T0, payload={"what": "referral"}))
    assert log.store.statuses[("referral", "r_2")].event_count == 3  # type: ignore[attr-defined]
