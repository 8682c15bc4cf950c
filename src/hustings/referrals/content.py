"""What goes into an evidence pack: plain data gathered from storage, before any file is made."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hustings.detect.assessment import Assessment
from hustings.messages.changes import SourceRevision
from hustings.messages.model import Capture, Message
from hustings.moderation.events import FiledReport
from hustings.referrals.model import CustodyEntry
from hustings.targets.model import Target


@dataclass(frozen=True, slots=True)
class ReportSummary:
    """One `report.filed` on a message, as the pack shows it."""

    at: datetime
    reporter_kind: str
    category: str
    claims_illegal: bool
    note: str

    @classmethod
    def of(cls, report: FiledReport) -> ReportSummary:
        return cls(
            at=report.filed_at,
            reporter_kind=report.reporter_kind,
            category=report.category,
            claims_illegal=report.claims_illegal,
            note=report.note,
        )


@dataclass(frozen=True, slots=True)
class PackMessage:
    """A message in a pack with everything an officer needs to read it in context."""

    message: Message
    assessment: Assessment | None
    reports: tuple[ReportSummary, ...] = ()
    thread: tuple[Message, ...] = ()
    """The messages it replies to (up the chain) and the replies to it, oldest first; itself excluded."""
    author_history: tuple[Message, ...] = ()
    """Other messages from the same author to the same target(s), oldest first; itself excluded."""
    original: Capture | None = None
    """The record the message was read from, as received, with how and when it was captured;
    None for a message sent to Hustings as its own JSON."""
    source_history: tuple[SourceRevision, ...] = ()
    """Its edits and deletion at the source, as recorded; its `message.text` is as received."""

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(label.value for label in self.assessment.flagged) if self.assessment else ()

    @property
    def parent_held(self) -> bool | None:
        """Whether Hustings holds the message this one replies to (then it is in `thread`);
        None when it replies to nothing."""
        parent = self.message.in_reply_to_id
        if parent is None:
            return None
        return any(other.id == parent for other in self.thread)

    @property
    def in_reply_to(self) -> str | None:
        """What the pack says of the message this one replies to."""
        parent = self.message.in_reply_to_id
        if parent is None:
            return None
        if self.parent_held:
            return f"{parent} (held: shown in the thread)"
        return f"a message not held by Hustings ({parent})"


@dataclass(frozen=True, slots=True)
class PackContent:
    """Everything one evidence pack holds."""

    referral_id: str
    pack_id: str
    built_at: datetime
    built_by: str
    targets: tuple[Target, ...]
    messages: tuple[PackMessage, ...]
    force: str = ""
    unit: str = ""
    crime_reference: str = ""
    note: str = ""
    custody: tuple[CustodyEntry, ...] = field(default_factory=tuple)
    built_by_who: str = ""
    """`built_by` by name, role and organisation."""


class EvidenceSource(Protocol):
    """What building a pack needs from storage; the SQL one is in `hustings.storage.referrals`."""

    def pack_messages(self, message_ids: Sequence[str]) -> list[PackMessage]:
        """Each message (in the order given) with its assessment, reports, thread and author history.

        Raises `NotFound` naming the first id that does not exist.
        """
        ...

    def targets_of(self, messages: Sequence[PackMessage]) -> list[Target]: ...

    def incident_message_ids(self, incident_id: str) -> list[str]:
        """The message ids an incident groups; raises `NotFound` if there is no such incident."""
        ...

    def bundle_message_ids(self, target_id: str) -> list[str]:
        """The message ids in a target's evidence bundle; raises `NotFound` if it has none."""
        ...
