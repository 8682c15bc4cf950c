"""The event log: statuses derived by pure reducers, duplicates refused, rebuild equals incremental."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hustings.errors import DuplicateEvent
from hustings.events import Event, EventLog, InMemoryEventStore, fold
from hustings.events.registry import default_reducers
from tests.conftest import T0

SUBJECTS = ["m_a", "m_b", "m_c"]


def ingested(subject: str, key: str, n: int) -> Event:
    return Event(
        kind="message.ingested",
        subject_type="message",
        subject_id=subject,
        actor="system",
        occurred_at=T0 + timedelta(seconds=n),
        idempotency_key=key,
        payload={"source": "x", "author_id": "x:1", "target_ids": ["t_1"], "created_at": T0.isoformat()},
    )


def assessed(subject: str, key: str, n: int, flagged: list[str], severity: float) -> Event:
    return Event(
        kind="message.assessed",
        subject_type="message",
        subject_id=subject,
        actor="model:m@1",
        occurred_at=T0 + timedelta(seconds=n),
        idempotency_key=key,
        model="m@1",
        payload={"flagged": flagged, "severity": severity},
    )


event_specs = st.lists(
    st.tuples(
        st.sampled_from(SUBJECTS),
        st.sampled_from(["ingested", "assessed"]),
        st.sampled_from(["k1", "k2", "k3", "k4", "k5", "k6"]),
        st.lists(st.sampled_from(["threat", "abuse", "doxxing"]), max_size=2, unique=True),
        st.floats(min_value=0, max_value=1),
    ),
    max_size=30,
)


def build(specs: list[tuple[str, str, str, list[str], float]]) -> list[Event]:
    events = []
    for n, (subject, kind, key, flagged, severity) in enumerate(specs):
        full_key = f"{subject}:{kind}:{key}"
        events.append(
            ingested(subject, full_key, n)
            if kind == "ingested"
            else assessed(subject, full_key, n, flagged, severity)
        )
    return events


@given(event_specs)
@settings(max_examples=150, deadline=None)
def test_rebuilding_from_the_log_equals_incremental_status(
    specs: list[tuple[str, str, str, list[str], float]],
) -> None:
    store = InMemoryEventStore()
    log = EventLog(store, default_reducers())
    for event in build(specs):
        log.append_many([event])
    incremental = dict(store.statuses)
    # statuses survive a JSON round trip, as they do in the database
    for status in incremental.values():
        assert json.loads(json.dumps(dict(status.data))) == dict(status.data)
    log.rebuild()
    assert store.statuses == incremental
    assert fold(default_reducers(), store.events) == incremental


def test_a_duplicate_event_is_refused_and_changes_nothing() -> None:
    store = InMemoryEventStore()
    log = EventLog(store, default_reducers())
    log.append(ingested("m_a", "same", 0))
    before = dict(store.statuses)
    with pytest.raises(DuplicateEvent):
        log.append(assessed("m_a", "same", 1, ["threat"], 0.9))
    assert store.statuses == before
    assert len(store.events) == 1


def test_a_key_repeated_within_one_batch_is_appended_once() -> None:
    store = InMemoryEventStore()
    result = EventLog(store, default_reducers()).append_many(
        [ingested("m_a", "k", 0), ingested("m_a", "k", 1)]
    )
    assert len(result.appended) == 1 and len(result.duplicates) == 1
    assert store.statuses[("message", "m_a")].event_count == 1


def test_assessment_moves_a_message_to_assessed_with_its_category() -> None:
    store = InMemoryEventStore()
    log = EventLog(store, default_reducers())
    log.append(ingested("m_a", "k1", 0))
    status = log.append(assessed("m_a", "k2", 1, ["threat", "abuse"], 0.8))
    assert status.state == "assessed"
    assert status.category == "threat"
    assert status.target_id == "t_1"
    assert status.data["model"] == "m@1"
    assert status.event_count == 2


def test_an_unknown_subject_type_is_a_bug_not_silence() -> None:
    log = EventLog(InMemoryEventStore(), default_reducers())
    odd = Event(
        kind="x",
        subject_type="nonsense",
        subject_id="1",
        actor="system",
        occurred_at=T0,
        idempotency_key="odd",
    )
    with pytest.raises(LookupError, match="nonsense"):
        log.append(odd)
