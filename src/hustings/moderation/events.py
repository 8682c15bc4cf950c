"""The moderation event vocabulary: the contract between moderation (which writes these events
on message subjects) and transparency, referrals and protection (which read them).

Every event here has `subject_type == "message"` and `subject_id` = the message id. Payloads are
JSON objects with the keys listed; times are ISO 8601 strings in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, NotRequired, TypedDict

from hustings.events.model import Event

REPORT_FILED = "report.filed"
ITEM_CLAIMED = "item.claimed"
ITEM_RELEASED = "item.released"
ITEM_SKIPPED = "item.skipped"
ITEM_ESCALATED = "item.escalated"
ITEM_SKIP_UNDONE = "item.skip_undone"  # a moderator took back their skip
ITEM_ESCALATION_WITHDRAWN = "item.escalation_withdrawn"  # the escalating moderator took it back
DECISION_MADE = "decision.made"
APPEAL_FILED = "appeal.filed"
APPEAL_DECIDED = "appeal.decided"
CLOCK_BREACHED = "clock.breached"
CLUSTER_JOINED = "cluster.joined"  # added by moderation: a message joined a near-duplicate cluster


class ReporterKind(StrEnum):
    """Who reported, from the caller's role; maps onto the DSA `source_type`."""

    TARGET = "target"  # the protected person themselves
    DELEGATE = "delegate"  # their staff or agent
    USER = "user"  # any other user: a notice
    TRUSTED_FLAGGER = "trusted_flagger"
    AUTOMATED = "automated"  # the detector


class Action(StrEnum):
    NO_ACTION = "no_action"
    LABEL = "label"
    HIDE = "hide"
    REMOVE = "remove"
    RESTRICT_ACCOUNT = "restrict_account"
    SUSPEND_ACCOUNT = "suspend_account"


TAKEDOWN_ACTIONS = frozenset({Action.HIDE, Action.REMOVE, Action.RESTRICT_ACCOUNT, Action.SUSPEND_ACCOUNT})
"""Actions that count as taking content down in the transparency report: exactly those whose
statement of reasons declares the content removed or disabled (`hustings.moderation.reasons.
effects_of`), so the report and the statements agree. Restricting or suspending the account
removes the content; labelling leaves it up."""


class ReportFiled(TypedDict):
    report_id: str
    reporter_kind: str  # a ReporterKind value
    reporter_id: str  # user id, or "model:<name@version>" for automated reports
    category: str  # a detector label or "other"
    claims_illegal: bool
    manifestly_illegal: bool  # decides the clock: 24 hours if true, 7 days otherwise
    note: str
    # Added by moderation (additive): whether this account had already reported this message.
    repeat: NotRequired[bool]


OTHER = "other"
"""The report category for what no detector label covers."""


@dataclass(frozen=True, slots=True)
class FiledReport:
    """One `report.filed` event, read: the one reader of its payload that every consumer uses
    (the item page, the reporter's view, evidence packs, the transparency report)."""

    report_id: str
    message_id: str
    reporter_kind: str
    """A `ReporterKind` value, kept as logged so an unknown kind is still counted."""
    reporter_id: str
    category: str
    claims_illegal: bool
    manifestly_illegal: bool
    note: str
    repeat: bool
    filed_at: datetime

    @classmethod
    def from_event(cls, event: Event) -> FiledReport:
        if event.kind != REPORT_FILED:
            raise ValueError(f"a {event.kind!r} event is not a report")
        payload = event.payload
        return cls(
            report_id=str(payload.get("report_id", "")),
            message_id=event.subject_id,
            reporter_kind=str(payload.get("reporter_kind", "")),
            reporter_id=str(payload.get("reporter_id", "")),
            category=str(payload.get("category") or OTHER),
            claims_illegal=bool(payload.get("claims_illegal", False)),
            manifestly_illegal=bool(payload.get("manifestly_illegal", False)),
            note=str(payload.get("note", "")),
            repeat=bool(payload.get("repeat", False)),
            filed_at=event.occurred_at,
        )


class DecisionMade(TypedDict):
    decision_id: str
    action: str  # an Action value
    policy_rule: str
    policy_version: str
    moderator_id: str
    cluster_id: str | None  # set when one decision was applied to a whole cluster
    statement: dict[str, object]  # the DSA statement of reasons (field names of the DSA database)
    # Added by moderation (additive): the clock, for time-to-decision in the transparency report.
    first_notice_at: NotRequired[str | None]  # ISO time of the first report; None if never reported
    time_to_decision_seconds: NotRequired[float | None]
    within_clock: NotRequired[bool | None]


class AppealFiled(TypedDict):
    appeal_id: str
    appellant_id: str
    reason: str


class AppealDecided(TypedDict):
    appeal_id: str
    outcome: Literal["upheld", "reversed"]
    new_action: str  # the Action now in force
    moderator_id: str
    reasons: str
    # Added by moderation (additive): the statement of reasons for the new action, when it changed.
    statement: NotRequired[dict[str, object] | None]


class ClockBreached(TypedDict):
    due_at: str
    manifestly_illegal: bool


class ClusterJoined(TypedDict):
    cluster_id: str
    similarity: float  # estimated Jaccard similarity to the member it matched (1.0 for exact)
    matched_message_id: str | None
