"""The event log and subject statuses in SQL: the `EventStore` the domain's `EventLog` uses."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hustings.clock import SystemClock
from hustings.errors import DuplicateEvent
from hustings.events.log import SubjectKey, version
from hustings.events.model import Event, Status
from hustings.storage.bulk import among, chunks, insert_rows
from hustings.storage.database import require_transaction
from hustings.storage.tables import EventRow, StatusRow
from hustings.storage.transparency_aggregates import SqlTransparencyAggregates


def event_from_row(row: EventRow) -> Event:
    return Event(
        kind=row.kind,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        actor=row.actor,
        occurred_at=row.occurred_at,
        idempotency_key=row.idempotency_key,
        reason=row.reason,
        model=row.model,
        payload=row.payload,
        seq=row.seq,
    )


def status_from_row(row: StatusRow) -> Status:
    return Status(
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        state=row.state,
        data=row.data,
        category=row.category,
        target_id=row.target_id,
        priority=row.priority,
        due_at=row.due_at,
        assignee=row.assignee,
        cluster_id=row.cluster_id,
        event_count=row.event_count,
        updated_at=row.updated_at,
    )


def _status_values(status: Status) -> dict[str, Any]:
    return {
        "subject_type": status.subject_type,
        "subject_id": status.subject_id,
        "state": status.state,
        "data": dict(status.data),
        "category": status.category,
        "target_id": status.target_id,
        "priority": status.priority,
        "due_at": status.due_at,
        "assignee": status.assignee,
        "cluster_id": status.cluster_id,
        "event_count": status.event_count,
        "updated_at": status.updated_at,
    }


def _is_unique_violation(error: BaseException) -> bool:
    """A unique-key violation, as SQLAlchemy wraps it or as psycopg raises it from COPY."""
    cause = error.orig if isinstance(error, IntegrityError) else error
    if isinstance(cause, psycopg.errors.UniqueViolation):
        return True
    return isinstance(cause, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(cause)


def _by_type(subjects: Iterable[SubjectKey]) -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {}
    for subject_type, subject_id in subjects:
        by_type.setdefault(subject_type, []).append(subject_id)
    return by_type


class SqlEventStore:
    """`EventStore` over a SQLAlchemy session; never commits (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.clock = SystemClock()
        self.aggregates = SqlTransparencyAggregates(session)

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(list(dict.fromkeys(keys))):
            found.update(
                self.session.scalars(
                    select(EventRow.idempotency_key).where(
                        among(self.session, EventRow.idempotency_key, chunk)
                    )
                )
            )
        return found

    def append(
        self, events: Sequence[Event], statuses: Sequence[Status], read: Mapping[SubjectKey, Status]
    ) -> list[Event]:
        """See `EventStore.append`. The statuses read are locked (on PostgreSQL) and checked first,
        so no one else changes them between the check and this transaction's end. The
        transparency report's aggregates for the subjects written follow in the same savepoint."""
        require_transaction(self.session)  # before the savepoint, which would open one silently
        with self._refused_if_raced(events):
            self._hold(read)
            insert_rows(self.session, EventRow, self._rows(events))
            self.save_statuses(statuses, existing=set(read))
            self.aggregates.record(events)
        return list(events)

    def _rows(self, events: Sequence[Event]) -> list[dict[str, Any]]:
        recorded_at = self.clock.now()
        return [
            {
                "idempotency_key": event.idempotency_key,
                "kind": event.kind,
                "subject_type": event.subject_type,
                "subject_id": event.subject_id,
                "actor": event.actor,
                "occurred_at": event.occurred_at,
                "recorded_at": recorded_at,
                "reason": event.reason,
                "model": event.model,
                "payload": dict(event.payload),
            }
            for event in events
        ]

    @contextmanager
    def _refused_if_raced(self, events: Sequence[Event]) -> Iterator[None]:
        """The one place a lost race becomes `DuplicateEvent`, with the writes undone.

        Two writers that both read a key as new (PostgreSQL lets them) meet at the log's unique
        index, and two that both create a subject's status at its primary key; the second's
        writes are undone by the savepoint and the transaction stays usable. (On PostgreSQL rows
        go in with COPY through the driver, so the violation arrives as psycopg's own error.)
        """
        try:
            with self.session.begin_nested():
                yield
        except (IntegrityError, psycopg.errors.IntegrityError) as error:
            if not _is_unique_violation(error):
                raise
            more = f" (or one of the {len(events) - 1} after it)" if len(events) > 1 else ""
            raise DuplicateEvent(
                f"event {events[0].idempotency_key!r}{more} was written at the same moment by someone else"
            ) from None

    def _hold(self, read: Mapping[SubjectKey, Status]) -> None:
        """Lock the status rows that were read, in one order, and refuse if any has moved on.

        Two writers who read one status and append different events to it (a claim and an
        escalation, say) have different keys, so the unique index does not meet them; here the
        second waits for the first's row, finds it changed, and is refused, rather than writing
        a status computed from one that is gone.
        """
        for subject_type, ids in _by_type(sorted(read)).items():
            for chunk in chunks(ids):
                now = dict(
                    self.session.execute(
                        select(StatusRow.subject_id, StatusRow.event_count)
                        .where(
                            StatusRow.subject_type == subject_type,
                            among(self.session, StatusRow.subject_id, chunk),
                        )
                        .order_by(StatusRow.subject_id)
                        .with_for_update()
                    ).all()
                )
                for subject_id in chunk:
                    if now.get(subject_id, 0) != version(read[(subject_type, subject_id)]):
                        raise DuplicateEvent(
                            f"{subject_type} {subject_id!r} was changed by someone else at the same moment"
                        )

    def load_statuses(self, subjects: Iterable[SubjectKey]) -> dict[SubjectKey, Status]:
        found: dict[SubjectKey, Status] = {}
        for subject_type, ids in _by_type(subjects).items():
            for chunk in chunks(ids):
                rows = self.session.scalars(
                    select(StatusRow).where(
                        StatusRow.subject_type == subject_type,
                        among(self.session, StatusRow.subject_id, chunk),
                    )
                )
                for row in rows:
                    status = status_from_row(row)
                    found[status.subject] = status
        return found

    def save_statuses(self, statuses: Sequence[Status], existing: set[SubjectKey]) -> None:
        require_transaction(self.session)
        new = [_status_values(s) for s in statuses if s.subject not in existing]
        changed = [_status_values(s) for s in statuses if s.subject in existing]
        insert_rows(self.session, StatusRow, new)
        for chunk in chunks(changed):
            self.session.execute(update(StatusRow), list(chunk))

    def iter_events(self) -> Iterator[Event]:
        rows = self.session.execute(select(EventRow).order_by(EventRow.seq).execution_options(yield_per=2000))
        for (row,) in rows:
            yield event_from_row(row)

    def clear_statuses(self) -> None:
        require_transaction(self.session)
        self.session.execute(delete(StatusRow))

    # Reads beyond the EventStore protocol, for views and tests.

    def status(self, subject_type: str, subject_id: str) -> Status | None:
        row = self.session.get(StatusRow, (subject_type, subject_id))
        return None if row is None else status_from_row(row)

    def events_for(self, subject_type: str, subject_id: str) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow)
            .where(EventRow.subject_type == subject_type, EventRow.subject_id == subject_id)
            .order_by(EventRow.seq)
        )
        return [event_from_row(row) for row in rows]

    def all_statuses(self) -> dict[SubjectKey, Status]:
        return {
            (row.subject_type, row.subject_id): status_from_row(row)
            for row in self.session.scalars(select(StatusRow))
        }
