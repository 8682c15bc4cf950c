"""The message vocabulary: the ingest schema (what a source sends) and the stored message."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

# A fixed namespace, so a message's id is the same on every installation and every retry.
_ID_NAMESPACE = uuid.UUID("6f0b7c1e-58f4-4d9c-9a57-0c3b1f3e2a10")

def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


Source = Annotated[
    str,
    BeforeValidator(_lower),
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AuthorIn(BaseModel):
    """The account that wrote a message, as its source knows it."""

    model_config = ConfigDict(extra="forbid")

    id: ShortText = Field(description="The account's id on its source.")
    handle: ShortText = Field(description="The account's handle, e.g. `@someone`.")
    display_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    created_at: AwareDatetime | None = Field(
        default=None, description="When the account was created (ISO 8601 with a time zone)."
    )
    followers: int | None = Field(default=None, ge=0)


class MessageIn(BaseModel):
    """One message as a source sends it to `POST /v1/messages` or `hustings ingest`."""

    model_config = ConfigDict(extra="forbid", title="MessageIn")

    source: Source = Field(description="Platform or channel, e.g. `x`, `bluesky`, `email`.")
    external_id: ShortText = Field(description="The message's id on its source; unique per source.")
    text: Annotated[str, StringConstraints(max_length=20_000)]
    created_at: AwareDatetime = Field(description="When it was sent (ISO 8601 with a time zone).")
    author: AuthorIn
    targets: list[ShortText] = Field(
        default_factory=list,
        max_length=50,
        description="Handles or ids of the protected people the message is addressed to.",
    )
    in_reply_to: ShortText | None = Field(
        default=None, description="`external_id` of the message this replies to, on the same source."
    )
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")] | None = None
    lang: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] | None = None


def message_id(source: str, external_id: str) -> str:
    """The id of a message: derived from (source, external_id), so ingest is idempotent."""
    return "m_" + uuid.uuid5(_ID_NAMESPACE, f"{source}\x1f{external_id}").hex


def author_key(source: str, author_id: str) -> str:
    return f"{source}:{author_id}"


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


@dataclass(frozen=True, slots=True)
class Author:
    key: str
    source: str
    external_id: str
    handle: str
    display_name: str | None
    created_at: datetime | None
    followers: int | None


@dataclass(frozen=True, slots=True)
class Message:
    """A stored message. Its text is never altered; moderation changes its status, not its content."""

    id: str
    source: str
    external_id: str
    text: str
    created_at: datetime
    author: Author
    targets: tuple[tuple[str, str | None], ...]
    """Each target ref the source gave, with the id of the registered target it resolved to (or None)."""
    in_reply_to_id: str | None
    url: str | None
    lang: str | None
    ingested_at: datetime

    @property
    def target_refs(self) -> tuple[str, ...]:
        return tuple(ref for ref, _ in self.targets)

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(target_id for _, target_id in self.targets if target_id))


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message refused at ingest: its position in the batch (or line) and what is wrong."""

    index: int
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "error": self.error}


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each field at fault, e.g. ``author.handle: Field required``."""
    parts = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "message"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)


def validate_batch(raw: Sequence[object]) -> tuple[list[tuple[int, MessageIn]], list[Rejection]]:
    """Split a batch into valid messages (with their index) and rejections naming the field at fault."""
    valid: list[tuple[int, MessageIn]] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            rejected.append(Rejection(index, f"message: expected a JSON object, got {type(item).__name__}"))
            continue
        try:
            valid.append((index, MessageIn.model_validate(item)))
        except ValidationError as error:
            rejected.append(Rejection(index, describe_validation_error(error)))
    return valid, rejected
