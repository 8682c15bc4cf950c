"""Reads that referrals need from SQL: the evidence around messages, and the referral list.

Referrals have no tables of their own: a referral is its events and the status derived from
them. Never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hustings.detect.assessment import Assessment
from hustings.errors import NotFound
from hustings.events import Event, EventLog, Status
from hustings.messages.events import MESSAGE_ASSESSED
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.messages.model import Message
from hustings.moderation.events import REPORT_FILED, FiledReport
from hustings.protection.events import BUNDLE, INCIDENT
from hustings.referrals.content import PackMessage, ReportSummary
from hustings.referrals.model import REFERRAL_PACK_BUILT
from hustings.referrals.model import SUBJECT as REFERRAL
from hustings.referrals.vault import configured_vault
from hustings.referrals.workflow import Referrals
from hustings.settings import Settings
from hustings.storage.events import SqlEventStore, event_from_row, status_from_row
from hustings.storage.messages import SqlMessageRepository
from hustings.storage.tables import EventRow, StatusRow
from hustings.storage.targets import TargetStore
from hustings.targets.model import Target

THREAD_DEPTH = 25
THREAD_REPLIES = 50
HISTORY_LIMIT = 100


class SqlEvidenceSource:
    """The `EvidenceSource` and `FirstReports` a referral reads, over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.events = SqlEventStore(session)
        self.messages = SqlMessageRepository(session)
        self.targets = TargetStore(session)

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
            if event.kind == MESSAGE_ASSESSED:
                assessment = Assessment.from_json(event.payload)  # the latest assessment wins
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


def list_referrals(session: Session, *, limit: int = 500) -> list[Status]:
    """Referrals, urgent first, then the most recently changed."""
    rows = session.scalars(
        select(StatusRow)
        .where(StatusRow.subject_type == REFERRAL)
        .order_by(StatusRow.priority.desc(), StatusRow.updated_at.desc())
        .limit(limit)
    )
    return [status_from_row(row) for row in rows]


def pack_built_events(session: Session, pack_id: str) -> list[Event]:
    """The `referral.pack_built` events that name `pack_id` (normally one)."""
    rows = session.scalars(
        select(EventRow).where(EventRow.kind == REFERRAL_PACK_BUILT, EventRow.subject_type == REFERRAL)
    )
    return [event for event in map(event_from_row, rows) if event.payload.get("pack_id") == pack_id]


def referral_workflow(session: Session, log: EventLog, settings: Settings) -> Referrals:
    """The referral workflow over this session, with packs under ``data_dir/packs``."""
    source = SqlEvidenceSource(session)
    return Referrals(
        log=log,
        reader=source.events,
        source=source,
        reports=source,
        vault=configured_vault(settings),
    )
