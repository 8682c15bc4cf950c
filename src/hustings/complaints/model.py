"""The complaint and the case it becomes: who complains about whom, what happened, where and when,
and the stages a case goes through. Plain values only: no storage, no web."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from hustings.auth.model import Role
from hustings.errors import Conflict


class CaseState(StrEnum):
    """Where a case is. `assessed` is not a state of its own: the assessment moves the case to
    informal resolution, to investigation, or (no further action) straight to closed."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INFORMAL_RESOLUTION = "informal_resolution"
    INVESTIGATION = "investigation"
    CHARGED = "charged"
    HEARING = "hearing"
    DECIDED = "decided"
    APPEAL = "appeal"
    CLOSED = "closed"


STAGE_ORDER: tuple[CaseState, ...] = tuple(CaseState)


class Assessment(StrEnum):
    NO_FURTHER_ACTION = "no_further_action"
    INFORMAL_RESOLUTION = "informal_resolution"
    INVESTIGATION = "investigation"


class Source(StrEnum):
    WEB_FORM = "web_form"
    EMAIL = "email"
    PHONE = "phone"
    MODERATION = "moderation"


class Severity(StrEnum):
    """How serious a proved breach is, as the panel judges it: what the sanction guidance is read by."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Recipient(StrEnum):
    COMPLAINANT = "complainant"
    RESPONDENT = "respondent"


class TeamRole(StrEnum):
    """What a handler does on one case."""

    CASE_OFFICER = "case_officer"
    INVESTIGATOR = "investigator"
    PANEL = "panel"


class Access(StrEnum):
    VIEW = "view"
    COMMENT = "comment"
    EXPORT = "export"
    SUBJECT_ACCESS = "subject_access"
    PARTY_VIEW = "party_view"
    """The complainant or respondent opened their tracking page (recorded as `user_id` = the party)."""


COMPLAINT_READERS = frozenset(
    {Role.COMPLAINTS_OFFICER, Role.INVESTIGATOR, Role.PANEL_MEMBER, Role.OVERSIGHT, Role.PARTY_ADMIN}
)
"""Who may reach the complaints pages at all; which cases each may open is the case's own rule."""
RAISERS = frozenset({Role.MODERATOR, Role.COMPLAINTS_OFFICER})
"""Who may raise a party complaint from a moderation item (its author is a member)."""
OVERSIGHT_ROLES = frozenset({Role.OVERSIGHT})
"""Who may open any case of their party without a reason (and reads the access report, draws the
audit sample and records its findings)."""
DATA_PROTECTION_ROLES = frozenset({Role.OVERSIGHT, Role.PARTY_ADMIN})
"""Who answers a subject-access request (everything held about one person, across cases)."""
JOINT_READERS = frozenset({Role.PANEL_MEMBER, Role.OVERSIGHT})
"""Who may reach the joint panel's list and its figures (a joint panel member sees referred cases only)."""


class IllegalTransition(Conflict):
    """A step the case's stage does not allow (e.g. a hearing before a charge)."""


class BreakGlassRequired(Conflict):
    """The caller is not on the case team: they must give a reason to open the case."""

    status_code = 403


@dataclass(frozen=True, slots=True)
class Complainant:
    name: str
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Where:
    """Online (with links and the ids of stored messages as evidence) or offline (a place)."""

    online: bool
    links: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()
    place: str = ""


@dataclass(frozen=True, slots=True)
class NewComplaint:
    """What a complaint says when it is filed."""

    party: str
    category: str
    what: str
    where: Where
    when: date | None
    source: Source
    complainant: Complainant | None = None
    """None: anonymous."""
    respondent_member: str | None = None
    """The respondent's membership number; None: unknown."""
    characteristic: str | None = None
    """The protected characteristic, for a complaint of discrimination (special-category data)."""
    health: str = ""
    """Health details the complainant gives (special-category data): sealed, shown only to the case team."""


@dataclass(frozen=True, slots=True)
class Grounds:
    """The reasons for a decision: in words, the code's clauses it rests on, the evidence relied on."""

    reason: str
    clauses: tuple[str, ...]
    evidence: str


@dataclass(frozen=True, slots=True)
class Objection:
    handler: str
    by: Recipient
    reason: str
    upheld: bool | None = None
    decision_reason: str = ""


class AuditView(StrEnum):
    SOUND = "sound"
    CONCERNS = "concerns"


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """An independent reviewer's finding on a case drawn in a quarter's audit sample."""

    reviewer: str
    quarter: str
    view: AuditView
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    """A complaint as its events have made it."""

    reference: str
    state: CaseState
    party: str
    category: str
    code_version: str
    complaint: NewComplaint
    received_at: datetime
    stage_entered_at: datetime
    due_at: datetime | None
    team: dict[str, TeamRole] = field(default_factory=dict)
    objections: tuple[Objection, ...] = ()
    told: dict[Recipient, datetime] = field(default_factory=dict)
    """When each party was last told anything."""
    assessment: Assessment | None = None
    sanction: str | None = None
    outcome: str = ""
    event_count: int = 0
    joint: bool = False
    """Referred to the joint panel under the joint election code."""
    erased: bool = False
    """Its personal data were erased at the end of the retention period."""
    special_hidden: bool = False
    """The special-category data were withheld from this reader (not on the case team)."""
    reachable: frozenset[Recipient] = frozenset()
    """Who can be told: a named complainant, a known respondent (kept after erasure, for the figures)."""
    audit_findings: tuple[AuditFinding, ...] = ()
    surveys: dict[Recipient, bool] = field(default_factory=dict)
    """The confidence survey sent at closure, by party: answered or not."""

    def on_team(self, user_id: str) -> bool:
        return user_id in self.team

    def breached(self, now: datetime) -> bool:
        return self.due_at is not None and now > self.due_at


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is acting on the complaints side: their user id, roles and party (None: in no party)."""

    user_id: str
    roles: frozenset[Role]
    party: str | None
    joint_panel: bool = False
    """Sits on the joint panel: may open cases of any party referred to it, and only those."""

    @property
    def oversight(self) -> bool:
        return bool(self.roles & OVERSIGHT_ROLES)


@dataclass(frozen=True, slots=True)
class DeclaredConflict:
    """A conflict of interest a handler declared: with one case, or with one member in every case."""

    case: str | None
    member: str | None
    note: str


@dataclass(frozen=True, slots=True)
class Handler:
    user_id: str
    party: str
    conflicts: tuple[DeclaredConflict, ...] = ()
    joint_panel: bool = False

    def conflicted(self, case: Case) -> DeclaredConflict | None:
        for conflict in self.conflicts:
            if conflict.case == case.reference:
                return conflict
            if conflict.member is not None and conflict.member == case.complaint.respondent_member:
                return conflict
        return None


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One look at, comment on or export of a case, by anyone."""

    case: str
    party: str
    user_id: str
    action: Access
    at: datetime
    on_team: bool
    break_glass_reason: str = ""


@dataclass(frozen=True, slots=True)
class TimetableLine:
    """What one party to the complaint is told: the stage, what comes next, by when."""

    recipient: Recipient
    stage: str
    next: str
    by: datetime | None
    last_told: datetime | None
    tell_by: datetime | None
    breach: bool
    reachable: bool


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One communication to a party, as that party received it."""

    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class Tracking:
    """What one party sees on their tracking page: where the case is, what comes next and by
    when, and every communication sent to them; nothing else. `erased`: the case's personal
    data were erased at the end of its retention period, so no message can be shown."""

    reference: str
    recipient: Recipient
    stage: str
    next: str
    by: datetime | None
    closed: bool
    erased: bool
    messages: tuple[SentMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class PartyEmail:
    """A communication to queue for e-mail to a party who has no account: `recipient_id` names
    the party (`party_recipient_id`), whose address (`Complaints.party_address`) and tracking
    link (`Complaints.party_link`) are looked up only when it is sent, so neither is stored in
    the outbox; `cause_key` is the communication's event key, so a retry queues it once."""

    recipient_id: str
    cause_key: str
    title: str
