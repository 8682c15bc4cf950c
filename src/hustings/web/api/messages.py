"""Ingest and read messages: POST /v1/messages, POST /v1/messages/changes (edits and deletions at
the source), GET /v1/messages/{id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hustings.auth.model import Principal, Role
from hustings.errors import NotFound
from hustings.events import user_actor
from hustings.messages.changes import validate_changes
from hustings.messages.events import SUBJECT as MESSAGE
from hustings.messages.model import Message
from hustings.web.deps import Ingester, ServicesDep, allow
from hustings.web.errors import BROKER_UNAVAILABLE

router = APIRouter(prefix="/v1/messages", tags=["messages"])
Reader = Annotated[Principal, Depends(allow(Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.POLICE_LIAISON))]


class IngestBatch(BaseModel):
    """Up to 1,000 messages; each is validated on its own (see `MessageIn`)."""

    messages: list[Any] = Field(max_length=1000)


class Rejected(BaseModel):
    index: int
    error: str


class IngestPublic(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejected]
    ids: list[str] = Field(description="Ids of every message not rejected, in input order.")


class ChangeBatch(BaseModel):
    """Up to 1,000 edits or deletions at the source; each is validated on its own (see `SourceChangeIn`)."""

    changes: list[Any] = Field(max_length=1000)


class ChangesPublic(BaseModel):
    edits: int = Field(description="`message.edited` events recorded (each edit is assessed again).")
    deletions: int = Field(description="`message.deleted_at_source` events recorded.")
    duplicates: int = Field(description="Already recorded, or an edit to the text the message already reads.")
    not_held: int = Field(description="Changes to messages Hustings does not hold: left, nothing to change.")
    queued: int = Field(
        default=0,
        description="With a message broker: changes published for the workers to record "
        "(then `edits`, `deletions` and `not_held` are 0 and `duplicates` counts retried publishes).",
    )
    rejected: list[Rejected]


class AuthorPublic(BaseModel):
    key: str
    handle: str
    display_name: str | None
    followers: int | None


class ReferencePublic(BaseModel):
    type: str = Field(description="`replied_to`, `quoted` or `retweeted`.")
    external_id: str
    message_id: str = Field(
        description="The Hustings id the referenced message has, or would have, once held."
    )


class DetailsPublic(BaseModel):
    """What the source said about the message beyond its text."""

    content_warning: str | None
    visibility: str | None
    sensitive: bool | None
    references: list[ReferencePublic]


class MessagePublic(BaseModel):
    id: str
    source: str
    external_id: str
    text: str
    created_at: str
    author: AuthorPublic
    targets: list[str]
    target_ids: list[str]
    in_reply_to_id: str | None
    url: str | None
    lang: str | None
    details: DetailsPublic | None
    status: str | None
    flagged: list[str]


@router.post("", response_model=IngestPublic, responses={503: BROKER_UNAVAILABLE})
def ingest_messages(batch: IngestBatch, principal: Ingester, services: ServicesDep, request: Request) -> Any:
    """Store a batch of messages. Idempotent on (source, external_id); bad messages are rejected by index."""
    result = services.ingest(batch.messages, actor=user_actor(principal.user.id))
    request.app.state.metrics.ingested.inc(result.accepted)
    return result.to_json()


@router.post("/changes", response_model=ChangesPublic, responses={503: BROKER_UNAVAILABLE})
def record_changes(batch: ChangeBatch, principal: Ingester, services: ServicesDep) -> Any:
    """Record edits and deletions at the source as events on the messages, never changing the text
    received. Idempotent: the same edit or deletion sent again is a duplicate. With a broker, the
    valid ones are published for the workers (answered once the broker has them; 503 if not)."""
    valid, rejected = validate_changes(batch.changes)
    result = services.record_changes([change for _, change in valid], actor=user_actor(principal.user.id))
    return {**result.to_json(), "rejected": [rejection.to_json() for rejection in rejected]}


@router.get("/{message_id}", response_model=MessagePublic)
def read_message(message_id: str, _: Reader, services: ServicesDep) -> Any:
    message = services.messages.get(message_id)
    if message is None:
        raise NotFound(f"message_id: no message {message_id!r}")
    status = services.events.status(MESSAGE, message_id)
    return MessagePublic(
        id=message.id,
        source=message.source,
        external_id=message.external_id,
        text=message.text,
        created_at=message.created_at.isoformat(),
        author=AuthorPublic(
            key=message.author.key,
            handle=message.author.handle,
            display_name=message.author.display_name,
            followers=message.author.followers,
        ),
        targets=list(message.target_refs),
        target_ids=list(message.target_ids),
        in_reply_to_id=message.in_reply_to_id,
        url=message.url,
        lang=message.lang,
        details=_details(message),
        status=status.state if status else None,
        flagged=list(status.data.get("flagged", [])) if status else [],
    )


def _details(message: Message) -> DetailsPublic | None:
    details = message.details
    if details.empty:
        return None
    return DetailsPublic(
        content_warning=details.content_warning,
        visibility=details.visibility,
        sensitive=details.sensitive,
        references=[
            ReferencePublic(
                type=ref.type, external_id=ref.external_id, message_id=ref.message_id(message.source)
            )
            for ref in details.references
        ],
    )
