"""The private-details register in SQL: sealed details, the register's status, and the
detector's doxxing evidence for redaction. Never commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hustings.events.model import Status
from hustings.messages.events import MESSAGE_ASSESSED, SUBJECT
from hustings.protection.private import REGISTER, DetailKind
from hustings.protection.private_service import SealedDetail
from hustings.storage.bulk import chunks
from hustings.storage.database import require_transaction
from hustings.storage.events import status_from_row
from hustings.storage.private_tables import PrivateDetailRow
from hustings.storage.tables import EventRow, StatusRow, TargetRow


def _detail(row: PrivateDetailRow) -> SealedDetail:
    return SealedDetail(row.id, row.target_id, DetailKind(row.kind), row.sealed, row.added_at)


class SqlPrivateDetailStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def sealed(self, target_ids: Collection[str]) -> list[SealedDetail]:
        found: list[SealedDetail] = []
        for chunk in chunks(list(target_ids)):
            found.extend(
                _detail(row)
                for row in self.session.scalars(
                    select(PrivateDetailRow)
                    .where(PrivateDetailRow.target_id.in_(chunk))
                    .order_by(PrivateDetailRow.added_at, PrivateDetailRow.id)
                )
            )
        return found

    def add(self, detail: SealedDetail) -> None:
        require_transaction(self.session)
        self.session.add(
            PrivateDetailRow(
                id=detail.id,
                target_id=detail.target_id,
                kind=detail.kind.value,
                sealed=detail.sealed,
                added_at=detail.added_at,
            )
        )
        self.session.flush()

    def remove(self, target_id: str, detail_id: str) -> SealedDetail | None:
        require_transaction(self.session)
        row = self.session.get(PrivateDetailRow, detail_id)
        if row is None or row.target_id != target_id:
            return None
        detail = _detail(row)
        self.session.execute(delete(PrivateDetailRow).where(PrivateDetailRow.id == detail_id))
        return detail

    def all_sealed(self) -> list[SealedDetail]:
        return [
            _detail(row)
            for row in self.session.scalars(select(PrivateDetailRow).order_by(PrivateDetailRow.id))
        ]

    def replace_sealed(self, detail_id: str, sealed: str) -> None:
        require_transaction(self.session)
        self.session.execute(
            update(PrivateDetailRow).where(PrivateDetailRow.id == detail_id).values(sealed=sealed)
        )

    def status(self, target_id: str) -> Status | None:
        row = self.session.get(StatusRow, (REGISTER, target_id))
        return None if row is None else status_from_row(row)

    def target_exists(self, target_id: str) -> bool:
        return self.session.get(TargetRow, target_id) is not None

    def doxxing_evidence(self, message_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = {}
        for chunk in chunks(list(message_ids)):
            rows = self.session.execute(
                select(EventRow.subject_id, EventRow.payload)
                .where(
                    EventRow.subject_type == SUBJECT,
                    EventRow.kind == MESSAGE_ASSESSED,
                    EventRow.subject_id.in_(chunk),
                )
                .order_by(EventRow.seq)
            )
            for message_id, payload in rows:  # a later assessment replaces an earlier one
                found[message_id] = doxxing_spans(payload)
        return found


def doxxing_spans(assessed: dict[str, object]) -> list[tuple[int, int]]:
    """The doxxing evidence spans of a `message.assessed` payload."""
    evidence = assessed.get("evidence")
    if not isinstance(evidence, list):
        return []
    return [
        (int(item["start"]), int(item["end"]))
        for item in evidence
        if isinstance(item, dict) and item.get("label") == "doxxing"
    ]
