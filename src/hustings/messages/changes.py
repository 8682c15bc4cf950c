"""Edits and deletions at the source, as events on the message: what was received first is
never overwritten.

An edit is `message.edited` with the text as it now reads, keyed by that text and the one it
replaced (the same edit read again is a duplicate; one that changes nothing is not logged), and
is assessed again: the new assessment is a `message.assessed`
event of its own, keyed by the revision, so the status takes the new scores and the log keeps
both. A deletion is `message.deleted_at_source`, once per message: for evidence a deleted threat
is still a threat, and how soon it went is a fact a prosecutor weighs. A change to a message
that Hustings does not hold is counted and left: there is nothing received to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from pydantic import ValidationError

from hustings.clock import Clock, iso, parse_iso
from hustings.detect.assessment import Assessment, Detector
from hustings.events import Event, EventLog
from hustings.messages.events import (
    MESSAGE_ASSESSED,
    MESSAGE_DELETED_AT_SOURCE,
    MESSAGE_EDITED,
    SUBJECT,
    message_deleted_at_source,
    message_edited,
    revision_of,
)
from hustings.messages.ingest import assessment_event
from hustings.messages.model import (
    Message,
    Rejection,
    SourceChangeIn,
    describe_validation_error,
    message_id,
)


class HeldMessages(Protocol):
    def existing_ids(self, ids: Sequence[str]) -> set[str]: ...

    def get(self, message_id: str) -> Message | None: ...


@dataclass(frozen=True, slots=True)
class SourceChange:
    """An edit (`text` set) or a deletion (`text` None) the source reported for a message."""

    source: str
    external_id: str
    text: str | None
    at: datetime | None = None
    """When the source says it happened, where it says."""

    @property
    def deleted(self) -> bool:
        return self.text is None

    @property
    def message_id(self) -> str:
        return message_id(self.source, self.external_id)

    @property
    def key(self) -> str:
        """The change's identity: its message, what it did (the deletion, or the text the edit
        left) and when the source says, so the same change sent twice has one key (the broker's
        de-duplication id) and an edit back to an earlier text at another time has its own."""
        what = "deleted" if self.text is None else f"edited:{revision_of(self.text)}"
        return f"change:{self.message_id}:{what}:{iso(self.at) or ''}"

    def to_json(self) -> dict[str, object]:
        """As `SourceChangeIn` reads it (what `validate_changes` takes back)."""
        return {
            "change": "deleted_at_source" if self.text is None else "edited",
            "source": self.source,
            "external_id": self.external_id,
            **({} if self.text is None else {"text": self.text}),
            **({} if self.at is None else {"at": iso(self.at)}),
        }


def is_change(item: object) -> bool:
    """Whether an item of Hustings JSON is a change to a message (it has `change`), not a message."""
    return isinstance(item, Mapping) and "change" in item


def validate_changes(raw: Sequence[object]) -> tuple[list[tuple[int, SourceChange]], list[Rejection]]:
    """Split Hustings JSON changes (`SourceChangeIn`) into valid ones, with their index, and
    rejections naming the field at fault."""
    valid: list[tuple[int, SourceChange]] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            rejected.append(Rejection(index, f"change: expected a JSON object, got {type(item).__name__}"))
            continue
        try:
            change = SourceChangeIn.model_validate(item)
        except ValidationError as error:
            rejected.append(Rejection(index, describe_validation_error(error)))
            continue
        valid.append((index, SourceChange(change.source, change.external_id, change.text, change.at)))
    return valid, rejected


@dataclass
class ChangeResult:
    edits: int = 0
    deletions: int = 0
    duplicates: int = 0
    not_held: int = 0
    queued: int = 0
    """With a broker: changes published for the workers to apply (not recorded yet)."""
    events: list[Event] = field(default_factory=list)
    assessments: dict[str, Assessment] = field(default_factory=dict)
    """The new assessment of each message edited, by message id."""

    def to_json(self) -> dict[str, int]:
        return {
            "edits": self.edits,
            "deletions": self.deletions,
            "duplicates": self.duplicates,
            "not_held": self.not_held,
            "queued": self.queued,
        }


def record_changes(
    changes: Sequence[SourceChange],
    *,
    messages: HeldMessages,
    log: EventLog,
    clock: Clock,
    actor: str,
    detector: Detector | None = None,
) -> ChangeResult:
    """Log each change to a held message, and assess each new edit; see the module docstring."""
    now = clock.now()
    result = ChangeResult()
    ids = [message_id(change.source, change.external_id) for change in changes]
    held = messages.existing_ids(list(dict.fromkeys(ids)))
    statuses = log.store.load_statuses([(SUBJECT, id_) for id_ in held])
    current: dict[str, str] = {}
    """The revision each held message reads as now (its last edit's, or the text as received)."""
    events: list[Event] = []
    for change, id_ in zip(changes, ids, strict=True):
        if id_ not in held:
            result.not_held += 1
            continue
        if change.text is not None and id_ not in current:
            status = statuses.get((SUBJECT, id_))
            revision = status.data.get("revision") if status is not None else None
            message = messages.get(id_)
            current[id_] = str(revision) if revision else revision_of(message.text if message else "")
        if change.text is not None and revision_of(change.text) == current[id_]:
            result.duplicates += 1  # the text as it already reads: Mastodon sends these
            continue
        if change.text is None:
            events.append(
                message_deleted_at_source(
                    id_, deleted_at=change.at, actor=actor, at=now, source=change.source
                )
            )
        else:
            events.append(
                message_edited(
                    id_,
                    change.text,
                    previous=current[id_],
                    edited_at=change.at,
                    actor=actor,
                    at=now,
                    source=change.source,
                )
            )
            current[id_] = revision_of(change.text)
    appended = log.append_many(events).appended
    result.duplicates += len(events) - len(appended)
    edits = [event for event in appended if event.kind == MESSAGE_EDITED]
    result.edits = len(edits)
    result.deletions = len(appended) - len(edits)
    result.events = list(appended)
    if detector is not None and edits:
        texts = [str(event.payload["text"]) for event in edits]
        reassessed = []
        for event, assessment in zip(edits, detector.assess(texts), strict=True):
            message = messages.get(event.subject_id)
            if message is None:
                continue
            result.assessments[message.id] = assessment
            assessed = assessment_event(message, assessment, now)
            revision = str(event.payload["revision"])
            reassessed.append(
                replace(
                    assessed,
                    idempotency_key=f"{assessed.idempotency_key}:{revision}",
                    reason=f"{assessed.reason} (edited text)",
                    payload={**assessed.payload, "revision": revision},
                )
            )
        result.events.extend(log.append_many(reassessed).appended)
    return result


@dataclass(frozen=True, slots=True)
class SourceRevision:
    """One entry of a message's history at its source: an edit (with its text and what its
    assessment flagged) or the deletion."""

    kind: str
    """`message.edited` or `message.deleted_at_source`."""
    at: datetime | None
    """When the source says it happened, where it says."""
    recorded_at: datetime
    text: str | None = None
    flagged: tuple[str, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.kind == MESSAGE_DELETED_AT_SOURCE

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "at_source": iso(self.at),
            "recorded_at": iso(self.recorded_at),
            "text": self.text,
            "flagged": list(self.flagged),
        }


def is_reassessment(event: Event) -> bool:
    """Whether a `message.assessed` event assessed an edit (not the text as received)."""
    return "revision" in event.payload


def source_history(events: Sequence[Event]) -> list[SourceRevision]:
    """The edits and deletion at source among a message's events, in the order they were logged."""
    flagged = {
        str(event.payload["revision"]): tuple(str(label) for label in event.payload.get("flagged", []))
        for event in events
        if event.kind == MESSAGE_ASSESSED and is_reassessment(event)
    }
    history = []
    for event in events:
        if event.kind == MESSAGE_EDITED:
            history.append(
                SourceRevision(
                    MESSAGE_EDITED,
                    parse_iso(event.payload.get("edited_at")),
                    event.occurred_at,
                    str(event.payload["text"]),
                    flagged.get(str(event.payload["revision"]), ()),
                )
            )
        elif event.kind == MESSAGE_DELETED_AT_SOURCE:
            history.append(
                SourceRevision(
                    MESSAGE_DELETED_AT_SOURCE, parse_iso(event.payload.get("deleted_at")), event.occurred_at
                )
            )
    return history


@dataclass(frozen=True, slots=True)
class AtSource:
    """What the source did to a message after Hustings received it, as a marker: how many edits,
    the last edit's time and the deletion's, never the text (the inbox masks hostile text)."""

    edits: int
    edited_at: datetime | None
    deleted_at: datetime | None


def at_source(data: Mapping[str, object]) -> AtSource | None:
    """The marker from a message's status (`reduce_message` folds `message.edited` and
    `message.deleted_at_source` into it); None for a message the source never changed."""
    edits = data.get("edits")
    count = edits if isinstance(edits, int) else 0
    deleted = data.get("deleted_at_source")
    if not count and not deleted:
        return None
    edited = data.get("edited_at")
    return AtSource(
        count,
        parse_iso(edited) if isinstance(edited, str) and count else None,
        parse_iso(deleted) if isinstance(deleted, str) else None,
    )
