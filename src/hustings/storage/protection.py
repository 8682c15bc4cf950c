"""Protection's storage in SQL: the `ProtectionStore` the domain uses, with the safe inbox's views.

Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hustings.events.model import Status
from hustings.messages.model import Message
from hustings.protection import events as ev
from hustings.protection.events import DeliveryState, IncidentState, ShieldState
from hustings.protection.inbox import INBOX_FOLDERS, InboxItem
from hustings.storage.bulk import chunks
from hustings.storage.events import status_from_row
from hustings.storage.messages import SqlMessageRepository, message_from_rows
from hustings.storage.protection_tables import DetectorStateRow
from hustings.storage.tables import AuthorRow, MessageRow, MessageTargetRow, StatusRow, TargetRow


class SqlProtectionStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ ProtectionStore

    def status(self, subject_type: str, subject_id: str) -> Status | None:
        row = self.session.get(StatusRow, (subject_type, subject_id))
        return None if row is None else status_from_row(row)

    def detector_state(self, target_id: str) -> dict[str, Any] | None:
        """The detector's saved state, locked for this transaction.

        Two ingest batches for one target in parallel would otherwise each continue from the same
        state and the later commit would drop the other's messages from the window (or both would
        insert the first row). The row is created empty if missing, then locked (PostgreSQL:
        ``SELECT ... FOR UPDATE``; SQLite serialises writers anyway).
        """
        dialect = self.session.get_bind().dialect.name
        builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(
            builder(DetectorStateRow)
            .values(target_id=target_id, state={}, updated_at=datetime.now(UTC))
            .on_conflict_do_nothing()
        )
        row = self.session.scalars(
            select(DetectorStateRow)
            .where(DetectorStateRow.target_id == target_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        return dict(row.state) if row.state else None

    def save_detector_state(self, target_id: str, state: dict[str, Any], now: datetime) -> None:
        row = self.session.get(DetectorStateRow, target_id)
        if row is None:
            self.session.add(DetectorStateRow(target_id=target_id, state=state, updated_at=now))
        else:
            row.state = state
            row.updated_at = now
        self.session.flush()

    def known_authors(self, target_id: str, author_keys: Iterable[str], before: datetime) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(list(author_keys)):
            found.update(
                self.session.scalars(
                    select(MessageRow.author_key)
                    .join(MessageTargetRow, MessageTargetRow.message_id == MessageRow.id)
                    .where(
                        MessageTargetRow.target_id == target_id,
                        MessageRow.author_key.in_(chunk),
                        MessageRow.created_at < before,
                    )
                    .distinct()
                )
            )
        return found

    def _statuses(self, *conditions: Any, order: Any = None, limit: int | None = None) -> list[Status]:
        query = select(StatusRow).where(*conditions)
        if order is not None:
            query = query.order_by(order)
        if limit is not None:
            query = query.limit(limit)
        return [status_from_row(row) for row in self.session.scalars(query)]

    def open_incidents(self) -> list[Status]:
        return self._statuses(StatusRow.subject_type == ev.INCIDENT, StatusRow.state == IncidentState.OPEN)

    def shields_due(self, now: datetime) -> list[Status]:
        return self._statuses(
            StatusRow.subject_type == ev.SHIELD, StatusRow.state == ShieldState.ON, StatusRow.due_at <= now
        )

    def deliveries(self, target_id: str) -> list[Status]:
        return self._statuses(StatusRow.subject_type == ev.DELIVERY, StatusRow.target_id == target_id)

    def message(self, message_id: str) -> Message | None:
        return SqlMessageRepository(self.session).get(message_id)

    def target_exists(self, target_id: str) -> bool:
        return self.session.get(TargetRow, target_id) is not None

    # ------------------------------------------------------------------ views

    def incidents(
        self, target_ids: Sequence[str] | None, state: str | None = None, limit: int = 200
    ) -> list[Status]:
        """Incidents, newest first; `target_ids=None` means every target."""
        conditions: list[Any] = [StatusRow.subject_type == ev.INCIDENT]
        if target_ids is not None:
            conditions.append(StatusRow.target_id.in_(list(target_ids)))
        if state is not None:
            conditions.append(StatusRow.state == state)
        return self._statuses(*conditions, order=StatusRow.updated_at.desc(), limit=limit)

    def folder_counts(self, target_id: str) -> dict[str, int]:
        """Messages per delivery state, plus `hostile`: delivered messages shown blurred."""
        rows = self.session.execute(
            select(StatusRow.state, StatusRow.category, func.count())
            .where(StatusRow.subject_type == ev.DELIVERY, StatusRow.target_id == target_id)
            .group_by(StatusRow.state, StatusRow.category)
        )
        counts = {state.value: 0 for state in DeliveryState} | {"hostile": 0}
        for state, category, count in rows:
            counts[state] = counts.get(state, 0) + int(count)
            if state in INBOX_FOLDERS["inbox"] and category == "hostile":
                counts["hostile"] += int(count)
        return counts

    def inbox(self, target_id: str, folder: str, *, limit: int = 100, offset: int = 0) -> list[InboxItem]:
        """The messages in one folder of a target's safe inbox, newest first."""
        states = INBOX_FOLDERS[folder]
        subject = literal(f"{target_id}:") + MessageRow.id
        rows = self.session.execute(
            select(MessageRow, AuthorRow, StatusRow)
            .join(AuthorRow, AuthorRow.key == MessageRow.author_key)
            .join(
                StatusRow,
                (StatusRow.subject_type == ev.DELIVERY) & (StatusRow.subject_id == subject),
            )
            .where(StatusRow.target_id == target_id, StatusRow.state.in_(states))
            .order_by(MessageRow.created_at.desc(), MessageRow.id)
            .limit(limit)
            .offset(offset)
        ).all()
        ids = [message.id for message, _, _ in rows]
        links: dict[str, list[MessageTargetRow]] = {}
        for chunk in chunks(ids):
            for link in self.session.scalars(
                select(MessageTargetRow).where(MessageTargetRow.message_id.in_(chunk))
            ):
                links.setdefault(link.message_id, []).append(link)
        return [
            InboxItem(message_from_rows(message, author, links.get(message.id, [])), status_from_row(status))
            for message, author, status in rows
        ]
