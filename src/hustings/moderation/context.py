"""What a moderator sees about one item: the message and its thread, the author's history with
this target, the reports, the cluster and its prior decisions, and the detector's evidence
marked in the text. Plain data; `hustings.moderation.service.Moderation.item_context` fills it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hustings.events import Event, Status
from hustings.messages.changes import SourceRevision
from hustings.messages.model import Message
from hustings.messages.similarity import normalise
from hustings.moderation.events import Action, FiledReport
from hustings.moderation.policy import Rule


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of the message text; `label` and `reason` are set when the detector flagged it."""

    text: str
    label: str | None = None
    reason: str | None = None


def highlight(text: str, evidence: Sequence[Mapping[str, Any]]) -> list[Segment]:
    """Split `text` into plain runs and evidence spans (overlapping spans merge into the first)."""
    spans = sorted(
        (
            (int(item["start"]), int(item["end"]), str(item.get("label", "")), str(item.get("reason", "")))
            for item in evidence
            if 0 <= int(item["start"]) < int(item["end"]) <= len(text)
        ),
        key=lambda span: (span[0], -span[1]),
    )
    segments: list[Segment] = []
    cursor = 0
    for start, end, label, reason in spans:
        if start < cursor:
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], label=label, reason=reason))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


@dataclass(frozen=True, slots=True)
class Related:
    """Another message shown beside the item (thread, author history, cluster member)."""

    message: Message
    status: Status | None


@dataclass(frozen=True, slots=True)
class PriorDecision:
    message_id: str
    action: str
    policy_rule: str
    decided_at: str | None
    appeal_outcome: str | None


def prior_decisions(members: Sequence[Status]) -> list[PriorDecision]:
    """Decisions already taken on members of a cluster, newest first."""
    found = [
        PriorDecision(
            message_id=member.subject_id,
            action=str(member.data.get("action_in_force") or member.data["decision"].get("action")),
            policy_rule=str(member.data["decision"].get("policy_rule")),
            decided_at=member.data["decision"].get("decided_at"),
            appeal_outcome=(member.data.get("appeal_outcome") or {}).get("outcome"),
        )
        for member in members
        if member.data.get("decision")
    ]
    return sorted(found, key=lambda d: d.decided_at or "", reverse=True)


@dataclass(frozen=True, slots=True)
class TextGroup:
    """Cluster members that say the same thing once case, punctuation, links and mentions are set
    aside: shown as one row with a count instead of one row per message."""

    text: str
    """The text of the first member, as received."""
    message_ids: tuple[str, ...]
    states: dict[str, int]
    """How many members are in each state."""

    @property
    def count(self) -> int:
        return len(self.message_ids)


def group_by_text(members: Sequence[Status], texts: Mapping[str, str]) -> list[TextGroup]:
    """Members grouped by their normalised text, the largest group first (then by first member)."""
    order: list[str] = []
    ids: dict[str, list[str]] = {}
    first: dict[str, str] = {}
    states: dict[str, dict[str, int]] = {}
    for member in members:
        text = texts.get(member.subject_id, "")
        key = normalise(text) or text
        if key not in ids:
            order.append(key)
            ids[key], first[key], states[key] = [], text, {}
        ids[key].append(member.subject_id)
        states[key][member.state] = states[key].get(member.state, 0) + 1
    groups = [TextGroup(first[key], tuple(ids[key]), states[key]) for key in order]
    return sorted(groups, key=lambda group: -group.count)


@dataclass(frozen=True, slots=True)
class ItemContext:
    status: Status
    message: Message
    segments: list[Segment]
    labels: dict[str, float]
    model: str | None
    reports: list[FiledReport]
    timeline: list[Event]
    thread: list[Related]
    author_history: list[Related]
    cluster: list[Status]
    prior: list[PriorDecision]
    suggested_rule: Rule
    suggested_action: Action
    time_left: timedelta | None
    priority: float
    target_names: dict[str, str] = field(default_factory=dict)
    source_history: list[SourceRevision] = field(default_factory=list)
    """Edits and deletion at the source, in the order they were recorded."""
