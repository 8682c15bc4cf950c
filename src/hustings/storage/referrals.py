"""The referral service's store in SQL: the evidence around messages, and the referrals.

Referrals have no tables of their own: a referral is its events and the status derived from
them. Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hustings.auth.model import User
from hustings.detect.assessment import Assessment
from hustings.errors import NotFound
from hustings.events import Event, Status
from hustings.messages.changes import is_reassessment, source_history
from hustings.messages.events import MESSAGE_ASSESSED
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.messages.model import Message
from hustings.moderation.events import REPORT_FILED, FiledReport
from hustings.protection.events import BUNDLE, INCIDENT
from hustings.referrals.content import PackMessage, ReportSummary
from hustings.referrals.model import REFERRAL_PACK_BUILT
from hustings.referrals.model import SUBJECT as REFERRAL
from hustings.storage.events import SqlEventStore, event_from_row, status_from_row
from hustings.storage.messages import SqlMessageRepository
from hustings.storage.sources import SqlOriginalRecords
from hustings.storage.tables import EventRow, StatusRow
from hustings.storage.targets import TargetStore
from hustings.storage.users import UserStore
from hustings.targets.model import Target

THREAD_DEPTH = 25
THREAD_REPLIES = 50
HISTORY_LIMIT = 100


class SqlEvidenceSource:
    """The `EvidenceSource` a referral reads, and when messages were first reported, over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.events = SqlEventStore(session)
        self.messages = SqlMessageRepository(session)
        self.targets = TargetStore(session)
        self.originals = SqlOriginalRecords(session)

    def _message(self, message_id: str) -> Message:
        message = self.messages.get(message_id)
        if message is None:
            raise NotFound(f"message_ids: no message {message_id!r}")
        return message

    def _thread(self, message: Message) -> list[Message]:
        around = [
            *self.messages.thread(message, THREAD_DEPTH),
            *self.messages.replies(message.id, THREAD_REPLIES),
        ]
        found = {other.id: other for other in around if other.id != message.id}
        return sorted(found.values(), key=lambda m: (m.created_at, m.id))

    def _history(self, message: Message) -> list[Message]:
        return sorted(
            self.messages.author_history(message, HISTORY_LIMIT), key=lambda m: (m.created_at, m.id)
        )

    def _assessment_and_reports(self, message_id: str) -> tuple[Assessment | None, list[ReportSummary]]:
        assessment: Assessment | None = None
        reports: list[ReportSummary] = []
        for event in self.events.events_for(MESSAGE, message_id):
            if event.kind == MESSAGE_ASSESSED and not is_reassessment(event):
                # The latest assessment of the text as received wins; an edit's is in its history.
                assessment = Assessment.from_json(event.payload)
            elif event.kind == REPORT_FILED:
                reports.append(ReportSummary.of(FiledReport.from_event(event)))
        return assessment, reports

    def pack_messages(self, message_ids: Sequence[str]) -> list[PackMessage]:
        items = []
        for message_id in message_ids:
            message = self._message(message_id)
            assessment, reports = self._assessment_and_reports(message_id)
            items.append(
                PackMessage(
                    message=message,
                    assessment=assessment,
                    reports=tuple(reports),
                    thread=tuple(self._thread(message)),
                    author_history=tuple(self._history(message)),
                    original=self.originals.for_message(message_id),
                    source_history=tuple(source_history(self.events.events_for(MESSAGE, message_id))),
                )
            )
        return items

    def targets_of(self, messages: Sequence[PackMessage]) -> list[Target]:
        ids = dict.fromkeys(t for item in messages for t in item.message.target_ids)
        return [t for t in (self.targets.get(i) for i in ids) if t is not None]

    def incident_message_ids(self, incident_id: str) -> list[str]:
        status = self.events.status(INCIDENT, incident_id)
        if status is None:
            raise NotFound(f"incident_id: no incident {incident_id!r}")
        ids = status.data.get("message_ids") or []
        return [str(i) for i in ids]

    def bundle_message_ids(self, target_id: str) -> list[str]:
        status = self.events.status(BUNDLE, target_id)
        items = [] if status is None else status.data.get("items") or []
        if not items:
            raise NotFound(f"bundle_target_id: target {target_id!r} has no evidence bundle")
        return [str(item["message_id"]) for item in items]

    def first_report_at(self, message_ids: Sequence[str]) -> datetime | None:
        if not message_ids:
            return None
        found: datetime | None = self.session.scalar(
            select(func.min(EventRow.occurred_at)).where(
                EventRow.kind == REPORT_FILED,
                EventRow.subject_type == MESSAGE,
                EventRow.subject_id.in_(list(message_ids)),
            )
        )
        return found


class SqlReferralStore(SqlEvidenceSource):
    """The `ReferralStore` the referral service reads, over one session."""

    def people(self) -> dict[str, User]:
        return {user.id: user for user in UserStore(self.session).all()}

    def referral(self, referral_id: str) -> Status | None:
        return self.events.status(REFERRAL, referral_id)

    def referral_events(self, referral_id: str) -> list[Event]:
        return self.events.events_for(REFERRAL, referral_id)

    def referrals(self, *, limit: int) -> list[Status]:
        rows = self.session.scalars(
            select(StatusRow)
            .where(StatusRow.subject_type == REFERRAL)
            .order_by(StatusRow.priority.desc(), StatusRow.updated_at.desc())
            .limit(limit)
        )
        return [status_from_row(row) for row in rows]

    def pack_built_events(self, pack_id: str) -> list[Event]:
        rows = self.session.scalars(
            select(EventRow).where(EventRow.kind == REFERRAL_PACK_BUILT, EventRow.subject_type == REFERRAL)
        )
        return [event for event in map(event_from_row, rows) if event.payload.get("pack_id") == pack_id]
