"""Original records in SQL: the `OriginalRecordStore` that ingest writes to."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from hustings.messages.model import Capture, Origin, OriginalRecord
from hustings.storage.bulk import insert_rows
from hustings.storage.sources_tables import MessageOriginRow, OriginalRecordRow


class SqlOriginalRecords:
    """Never commits: the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, captures: Sequence[Capture]) -> None:
        if not captures:
            return
        records: dict[str, dict[str, Any]] = {}
        for capture in captures:
            record = capture.origin.record
            records.setdefault(
                record.sha256,
                {
                    "sha256": record.sha256,
                    "format": record.format,
                    "size": len(record.payload),
                    "payload": record.payload,
                    "first_received_at": capture.received_at,
                },
            )
        insert_rows(self.session, OriginalRecordRow, list(records.values()), ignore_conflicts=True)
        links = [
            {
                "message_id": capture.message_id,
                "record_sha256": capture.origin.record.sha256,
                "pointer": capture.origin.pointer,
                "converter": capture.origin.converter,
                "converter_version": capture.origin.converter_version,
                "source_time": capture.origin.source_time,
                "received_at": capture.received_at,
            }
            for capture in captures
        ]
        insert_rows(self.session, MessageOriginRow, links, ignore_conflicts=True)

    def for_message(self, message_id: str) -> Capture | None:
        """The record a message was read from, with how and when; None for a message sent as JSON."""
        link = self.session.get(MessageOriginRow, message_id)
        if link is None:
            return None
        row = self.session.get_one(OriginalRecordRow, link.record_sha256)
        return Capture(
            message_id=message_id,
            origin=Origin(
                record=OriginalRecord(payload=row.payload, format=row.format),
                pointer=link.pointer,
                converter=link.converter,
                converter_version=link.converter_version,
                source_time=link.source_time,
            ),
            received_at=link.received_at,
        )
