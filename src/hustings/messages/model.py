"""The message vocabulary: the ingest schema (what a source sends) and the stored message."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic_core import PydanticCustomError

# A fixed namespace, so a message's id is the same on every installation and every retry.
_ID_NAMESPACE = uuid.UUID("6f0b7c1e-58f4-4d9c-9a57-0c3b1f3e2a10")
# The largest follower count the `authors.followers` column holds (a 32-bit integer on PostgreSQL).
MAX_FOLLOWERS = 2**31 - 1
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _storable(value: str) -> str:
    # PostgreSQL cannot hold U+0000 in text or JSON; refuse it here so one message is named
    # and the rest of its batch stored, on either database.
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "contains a NUL character (\\u0000), which cannot be stored")
    return value


def _iso_8601(value: object) -> object:
    # pydantic would read 1715000000 (or "1715000000") as seconds since 1970: a sender's
    # milliseconds or local numbering would then pass as a real date.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value.strip()):
        given = repr(value[:40]) if isinstance(value, str) else repr(value)[:40]
        raise PydanticCustomError(
            "datetime_iso",
            "expected an ISO 8601 date and time with a time zone, e.g. 2026-05-06T21:15:00Z, not {given}",
            {"given": given},
        )
    return value


def _in_utc(value: datetime) -> datetime:
    # Dates near year 1 or 9999 overflow when moved to UTC or when a clock adds days to them.
    try:
        moment = value.astimezone(UTC)
    except OverflowError:
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise PydanticCustomError(
            "datetime_range",
            f"must be from {EARLIEST.date().isoformat()} up to {LATEST.date().isoformat()} (UTC)",
        )
    return moment


Source = Annotated[
    str,
    BeforeValidator(_lower),
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,39}$"),
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_storable)
]
Moment = Annotated[AwareDatetime, BeforeValidator(_iso_8601), AfterValidator(_in_utc)]
"""An ISO 8601 date and time with a time zone, held in UTC; numbers are refused."""


class AuthorIn(BaseModel):
    """The account that wrote a message, as its source knows it."""

    model_config = ConfigDict(extra="forbid")

    id: ShortText = Field(description="The account's id on its source.")
    handle: ShortText = Field(description="The account's handle, e.g. `@someone`.")
    display_name: Annotated[str, StringConstraints(max_length=200), AfterValidator(_storable)] | None = None
    created_at: Moment | None = Field(
        default=None, description="When the account was created (ISO 8601 with a time zone)."
    )
    followers: int | None = Field(default=None, ge=0, le=MAX_FOLLOWERS)


class MessageIn(BaseModel):
    """One message as a source sends it to `POST /v1/messages` or `hustings ingest`."""

    model_config = ConfigDict(extra="forbid", title="MessageIn")

    source: Source = Field(description="Platform or channel, e.g. `x`, `bluesky`, `email`.")
    external_id: ShortText = Field(description="The message's id on its source; unique per source.")
    text: Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_storable)]
    created_at: Moment = Field(description="When it was sent (ISO 8601 with a time zone).")
    author: AuthorIn
    targets: list[ShortText] = Field(
        default_factory=list,
        max_length=50,
        description="Handles or ids of the protected people the message is addressed to.",
    )
    in_reply_to: ShortText | None = Field(
        default=None, description="`external_id` of the message this replies to, on the same source."
    )
    url: (
        Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$"), AfterValidator(_storable)]
        | None
    ) = None
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
