"""The `ComplaintStore` in SQL: complaints live in the event log and its statuses; each case's own
key (sealed) is in `complaint_keys`, the one table of their own.

Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hustings.events import Event, Status
from hustings.storage.complaint_tables import ComplaintKeyRow
from hustings.storage.events import SqlEventStore, event_from_row, status_from_row
from hustings.storage.tables import EventRow, StatusRow


class SqlComplaintStore:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.events = SqlEventStore(session)

    def status(self, subject_type: str, subject_id: str) -> Status | None:
        return self.events.status(subject_type, subject_id)

    def statuses(self, subject_type: str, *, prefix: str | None = None) -> list[Status]:
        query = select(StatusRow).where(StatusRow.subject_type == subject_type)
        if prefix is not None:
            query = query.where(StatusRow.subject_id.startswith(prefix, autoescape=True))
        return [status_from_row(row) for row in self.session.scalars(query)]

    def events_for(self, subject_type: str, subject_id: str) -> list[Event]:
        return self.events.events_for(subject_type, subject_id)

    def events_of(self, subject_types: Collection[str]) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow).where(EventRow.subject_type.in_(sorted(subject_types))).order_by(EventRow.seq)
        )
        return [event_from_row(row) for row in rows]

    def case_key(self, reference: str) -> str | None:
        row = self.session.get(ComplaintKeyRow, reference)
        return None if row is None else row.sealed

    def keep_case_key(self, reference: str, sealed: str, at: datetime) -> None:
        self.session.add(ComplaintKeyRow(reference=reference, sealed=sealed, created_at=at))
        self.session.flush()

    def erase_case_key(self, reference: str) -> None:
        self.session.execute(delete(ComplaintKeyRow).where(ComplaintKeyRow.reference == reference))

    def case_keys(self) -> dict[str, str]:
        return {row.reference: row.sealed for row in self.session.scalars(select(ComplaintKeyRow))}

    def replace_case_key(self, reference: str, sealed: str) -> None:
        self.session.execute(
            update(ComplaintKeyRow).where(ComplaintKeyRow.reference == reference).values(sealed=sealed)
        )

    def replace_event(self, event: Event) -> None:
        self.session.execute(
            update(EventRow)
            .where(EventRow.idempotency_key == event.idempotency_key)
            .values(reason=event.reason, payload=dict(event.payload))
        )

    def replace_status(self, status: Status) -> None:
        self.events.save_statuses([status], existing={status.subject})
