"""The `DashboardStore` in SQL: messages to the candidates, their reports, their incidents. Never writes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hustings.events import Event, Status
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.moderation.events import REPORT_FILED
from hustings.protection.events import INCIDENT
from hustings.storage.bulk import chunks
from hustings.storage.events import status_from_row
from hustings.storage.tables import EventRow, MessageTargetRow, StatusRow


class SqlDashboardStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def message_targets(self, target_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for chunk in chunks(sorted(set(target_ids))):
            rows = self.session.execute(
                select(MessageTargetRow.message_id, MessageTargetRow.target_id).where(
                    MessageTargetRow.target_id.in_(chunk)
                )
            )
            for message_id, target_id in rows:
                if target_id is not None:
                    found[message_id].append(target_id)
        return dict(found)

    def report_events(self, target_ids: Sequence[str], *, since: datetime, until: datetime) -> list[Event]:
        found: dict[int, Event] = {}
        # Plain columns, not ORM rows: a campaign's reports run to tens of thousands.
        columns = (
            EventRow.seq,
            EventRow.subject_id,
            EventRow.actor,
            EventRow.occurred_at,
            EventRow.idempotency_key,
            EventRow.payload,
        )
        for chunk in chunks(sorted(set(target_ids))):
            rows = self.session.execute(
                select(*columns)
                .join(MessageTargetRow, MessageTargetRow.message_id == EventRow.subject_id)
                .where(
                    EventRow.kind == REPORT_FILED,
                    EventRow.subject_type == MESSAGE,
                    MessageTargetRow.target_id.in_(chunk),
                    EventRow.occurred_at >= since,
                    EventRow.occurred_at < until,
                )
            )
            for seq, subject_id, actor, occurred_at, key, payload in rows:
                found[seq] = Event(
                    REPORT_FILED, MESSAGE, subject_id, actor, occurred_at, key, payload=payload, seq=seq
                )
        return [found[seq] for seq in sorted(found)]

    def incidents(self, target_ids: Sequence[str]) -> list[Status]:
        found: list[Status] = []
        for chunk in chunks(sorted(set(target_ids))):
            rows = self.session.scalars(
                select(StatusRow).where(StatusRow.subject_type == INCIDENT, StatusRow.target_id.in_(chunk))
            )
            found.extend(status_from_row(row) for row in rows)
        return found
