"""The SQL event store on SQLite and PostgreSQL: same transaction, idempotent, rebuildable."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import inspect

from hustings.errors import DuplicateEvent
from hustings.events import Event
from hustings.services import Services
from tests.conftest import T0


def make_event(n: int, subject: str, kind: str, flagged: list[str]) -> Event:
    payload = (
        {"source": "x", "author_id": "x:a", "target_ids": [], "created_at": T0.isoformat()}
        if kind == "message.ingested"
        else {"flagged": flagged, "severity": 0.1 * len(flagged)}
    )
    return Event(
        kind=kind,
        subject_type="message",
        subject_id=subject,
        actor="system",
        occurred_at=T0 + timedelta(minutes=n),
        idempotency_key=f"{kind}:{subject}:{n}",
        payload=payload,
    )


def test_status_rebuilt_from_the_log_equals_incremental_status(services: Services) -> None:
    rng = random.Random(7)
    for n in range(120):
        subject = f"m_{rng.randrange(15)}"
        kind = rng.choice(["message.ingested", "message.assessed"])
        services.log.append(
            make_event(n, subject, kind, rng.sample(["threat", "abuse", "doxxing"], rng.randrange(3)))
        )
    services.session.flush()
    incremental = services.events.all_statuses()
    assert services.log.rebuild() == 120
    services.session.flush()
    services.session.expire_all()
    assert services.events.all_statuses() == incremental


def test_a_duplicate_key_is_refused_by_the_database_too(services: Services) -> None:
    event = make_event(1, "m_1", "message.ingested", [])
    services.log.append(event)
    with pytest.raises(DuplicateEvent):
        services.log.append(event)
    assert len(services.events.events_for("message", "m_1")) == 1


def test_times_come_back_timezone_aware(services: Services) -> None:
    services.log.append(make_event(3, "m_t", "message.ingested", []))
    services.session.flush()
    services.session.expire_all()
    events = services.events.events_for("message", "m_t")
    assert events[0].occurred_at == T0 + timedelta(minutes=3)
    assert events[0].occurred_at.tzinfo is not None


def test_migrations_match_the_models(services: Services) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from hustings.storage.metadata import target_metadata

    connection = services.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert compare_metadata(context, target_metadata) == []
    assert inspect(connection).has_table("events")
