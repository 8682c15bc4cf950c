"""Fixtures for moderation tests: an in-memory log with messages in it, users of each kind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from hustings.auth.model import Role, User
from hustings.clock import FixedClock
from hustings.detect.assessment import Assessment, Evidence, Label
from hustings.events import Event, EventLog, InMemoryEventStore, model_actor
from hustings.events.registry import default_reducers
from tests.conftest import T0

MODEL = "test-detector@1"


def ingested_event(message_id: str, target_ids: Sequence[str] = ("t_1",), author: str = "x:a1") -> Event:
    return Event(
        kind="message.ingested",
        subject_type="message",
        subject_id=message_id,
        actor="system",
        occurred_at=T0 - timedelta(minutes=5),
        idempotency_key=f"message.ingested:{message_id}",
        payload={
            "source": "x",
            "author_id": author,
            "target_ids": list(target_ids),
            "created_at": (T0 - timedelta(hours=1)).isoformat(),
        },
    )


def assessment(*flagged: Label, severity: float = 0.9, text: str = "I will hurt you") -> Assessment:
    labels = {label: (0.95 if label in flagged else 0.01) for label in Label}
    evidence = tuple(Evidence(label, 0, min(len(text), 11), text[:11], "threat of harm") for label in flagged)
    return Assessment(
        labels=labels,
        flagged=tuple(flagged),
        characteristic=None,
        evidence=evidence,
        model=MODEL,
        severity=severity if flagged else 0.0,
    )


def assessed_event(message_id: str, found: Assessment) -> Event:
    return Event(
        kind="message.assessed",
        subject_type="message",
        subject_id=message_id,
        actor=model_actor(found.model),
        occurred_at=T0 - timedelta(minutes=5),
        idempotency_key=f"message.assessed:{message_id}:{found.model}",
        model=found.model,
        payload=found.to_json(),
    )


@pytest.fixture
def memory_log() -> EventLog:
    return EventLog(InMemoryEventStore(), default_reducers())


@pytest.fixture
def fixed_clock() -> FixedClock:
    return FixedClock(T0)


def person(name: str, *roles: Role, target_ids: tuple[str, ...] = ()) -> User:
    return User(id=f"u_{name}", name=name, roles=frozenset(roles), target_ids=target_ids)
