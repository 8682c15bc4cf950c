"""Ingest: validate a batch, store the new messages, log their events, assess them.

Idempotent on (source, external_id): a message already stored counts as a duplicate and is
neither stored nor logged again, and so does one that a concurrent ingest stores first. A bad
message is rejected with the field at fault named, and the good ones beside it are stored all the
same. A message read from a platform's own record (`hustings.sources`) comes with its `Origin`,
stored beside it in the same transaction: the record once, however many messages it gave or
however often it is ingested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hustings.clock import Clock, iso
from hustings.detect.assessment import Assessment, Detector
from hustings.events import Event, EventLog, model_actor
from hustings.messages.events import MESSAGE_ASSESSED, MESSAGE_INGESTED, SUBJECT
from hustings.messages.model import (
    Author,
    Capture,
    Message,
    MessageDetails,
    MessageIn,
    Origin,
    Rejection,
    author_key,
    message_id,
    normalise_handle,
    validate_batch,
)


class MessageRepository(Protocol):
    """What ingest needs from storage. Implementations never commit."""

    def existing_ids(self, ids: Sequence[str]) -> set[str]: ...

    def resolve_targets(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """Map (source, handle-or-id) pairs to the id of a registered target, where one matches."""
        ...

    def add_many(self, messages: Sequence[Message]) -> set[str]:
        """Store the messages not stored yet, and return the ids of those it stored.

        One that a concurrent ingest stores first is not stored again: its id is left out.
        """
        ...


class OriginalRecordStore(Protocol):
    """Where the original records of messages are kept. Implementations never commit."""

    def add(self, captures: Sequence[Capture]) -> None:
        """Store each capture's record (once per SHA-256) and its link to the new message."""
        ...


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int
    rejected: list[Rejection]
    ids: list[str]
    """The id of every message not rejected, in input order (new and duplicate alike)."""
    stored: list[Message] = field(default_factory=list)
    assessments: dict[str, Assessment] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [item.to_json() for item in self.rejected],
            "ids": self.ids,
        }


IngestHook = Callable[[IngestResult], None]
"""Called after a batch is stored and logged, in the same transaction (incident detection, shield)."""


def author_of(item: MessageIn) -> Author:
    return Author(
        key=author_key(item.source, item.author.id),
        source=item.source,
        external_id=item.author.id,
        handle=item.author.handle,
        display_name=item.author.display_name,
        created_at=item.author.created_at,
        followers=item.author.followers,
    )


def _to_message(item: MessageIn, targets: dict[tuple[str, str], str], now: datetime) -> Message:
    refs = tuple(dict.fromkeys(item.targets))
    return Message(
        id=message_id(item.source, item.external_id),
        source=item.source,
        external_id=item.external_id,
        text=item.text,
        created_at=item.created_at,
        author=author_of(item),
        targets=tuple((ref, targets.get((item.source, normalise_handle(ref)))) for ref in refs),
        in_reply_to_id=message_id(item.source, item.in_reply_to) if item.in_reply_to else None,
        url=item.url,
        lang=item.lang,
        ingested_at=now,
        details=MessageDetails.from_input(item.details),
    )


def assessment_event(message: Message, assessment: Assessment, at: datetime) -> Event:
    return Event(
        kind=MESSAGE_ASSESSED,
        subject_type=SUBJECT,
        subject_id=message.id,
        actor=model_actor(assessment.model),
        occurred_at=at,
        idempotency_key=f"{MESSAGE_ASSESSED}:{message.id}:{assessment.model}",
        reason="flagged: " + ", ".join(assessment.flagged) if assessment.flagged else "nothing flagged",
        model=assessment.model,
        payload=assessment.to_json(),
    )


def ingest(
    raw: Sequence[object],
    *,
    repository: MessageRepository,
    log: EventLog,
    clock: Clock,
    actor: str,
    detector: Detector | None = None,
    hooks: Sequence[IngestHook] = (),
    origins: Sequence[Origin | None] = (),
    originals: OriginalRecordStore | None = None,
) -> IngestResult:
    """Store and log a batch of raw messages; see the module docstring for the contract.

    `origins`, when given, holds the origin of each item of `raw` (None for one without), and
    `originals` is where they are kept.
    """
    if origins and (len(origins) != len(raw) or originals is None):
        raise ValueError("origins: one per raw message, with a store to keep them in")
    valid, rejected = validate_batch(raw)
    now = clock.now()
    refs = {(item.source, normalise_handle(ref)) for _, item in valid for ref in item.targets}
    targets = repository.resolve_targets(refs) if refs else {}
    ids: list[str] = []
    fresh: dict[str, Message] = {}
    origin_of: dict[str, Origin] = {}
    for index, item in valid:
        message = _to_message(item, targets, now)
        ids.append(message.id)
        if message.id in fresh:
            continue
        fresh[message.id] = message
        origin = origins[index] if origins else None
        if origin is not None:
            origin_of[message.id] = origin
    already = repository.existing_ids(list(fresh))
    unseen = [message for message_id_, message in fresh.items() if message_id_ not in already]
    stored = repository.add_many(unseen)
    new_messages = [message for message in unseen if message.id in stored]
    captures = [Capture(m.id, origin_of[m.id], now) for m in new_messages if m.id in origin_of]
    if captures and originals is not None:
        originals.add(captures)
    events = [
        Event(
            kind=MESSAGE_INGESTED,
            subject_type=SUBJECT,
            subject_id=message.id,
            actor=actor,
            occurred_at=now,
            idempotency_key=f"{MESSAGE_INGESTED}:{message.id}",
            reason=f"received from {message.source}",
            payload={
                "source": message.source,
                "author_id": message.author.key,
                "target_ids": list(message.target_ids),
                "created_at": iso(message.created_at),
                "lang": message.lang,
                # Where the source says where it came from (the transparency report counts by it).
                **(
                    {"country": message.details.country, "nation": message.details.nation}
                    if message.details.country
                    else {}
                ),
            },
        )
        for message in new_messages
    ]
    assessments: dict[str, Assessment] = {}
    if detector is not None and new_messages:
        for message, assessment in zip(
            new_messages, detector.assess([message.text for message in new_messages]), strict=True
        ):
            assessments[message.id] = assessment
            events.append(assessment_event(message, assessment, now))
    log.append_many(events)
    result = IngestResult(
        accepted=len(new_messages),
        duplicates=len(ids) - len(new_messages),
        rejected=rejected,
        ids=ids,
        stored=new_messages,
        assessments=assessments,
    )
    for hook in hooks:
        hook(result)
    return result
