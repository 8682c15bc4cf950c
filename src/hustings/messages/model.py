"""The message vocabulary: the ingest schema (what a source sends) and the stored message."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hustings.places import Nation, checked_place

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


Visibility = Literal["public", "unlisted", "private", "direct"]
"""Who the source showed the message to, in Mastodon's words: `private` is followers only, `direct`
a direct message to the accounts it mentions."""
ReferenceType = Literal["replied_to", "quoted", "retweeted"]
"""How a message refers to another, in X's words (a Bluesky quote post is `quoted`)."""


class ReferenceIn(BaseModel):
    """Another message this one replies to, quotes or reposts."""

    model_config = ConfigDict(extra="forbid")

    type: ReferenceType
    external_id: ShortText = Field(description="`external_id` of the referenced message, on the same source.")


class DetailsIn(BaseModel):
    """What the source says about a message beyond its text, kept as it said it."""

    model_config = ConfigDict(extra="forbid")

    content_warning: Annotated[str, StringConstraints(max_length=2000), AfterValidator(_storable)] | None = (
        Field(default=None, description="The warning shown before the text (Mastodon `spoiler_text`).")
    )
    visibility: Visibility | None = None
    sensitive: bool | None = Field(
        default=None,
        description="The source marked it sensitive (Mastodon `sensitive`, X `possibly_sensitive`).",
    )
    references: list[ReferenceIn] = Field(default_factory=list, max_length=20)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] | None = Field(
        default=None,
        description="Where the message was sent from, where the source says: ISO 3166-1 alpha-2 (GB for the UK).",
    )
    nation: Nation | None = Field(default=None, description="For the UK, the nation, where the source says.")

    @model_validator(mode="after")
    def _nation_in_the_uk(self) -> DetailsIn:
        if self.nation is not None and self.country is not None and self.country.upper() not in ("GB", "UK"):
            raise PydanticCustomError("nation", "nation: a nation is recorded only for the UK (country GB)")
        return self


MessageText = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_storable)]


class MessageIn(BaseModel):
    """One message as a source sends it to `POST /v1/messages` or `hustings ingest`."""

    model_config = ConfigDict(extra="forbid", title="MessageIn")

    source: Source = Field(description="Platform or channel, e.g. `x`, `bluesky`, `email`.")
    external_id: ShortText = Field(description="The message's id on its source; unique per source.")
    text: MessageText
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
        Annotated[
            str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$"), AfterValidator(_storable)
        ]
        | None
    ) = None
    lang: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] | None = None
    details: DetailsIn | None = Field(
        default=None,
        description="Content warning, visibility, sensitive flag and references, where the source has them.",
    )


class SourceChangeIn(BaseModel):
    """An edit or a deletion at the source of a message sent before, as a source sends it to
    `POST /v1/messages/changes` or in a `hustings ingest` line: recorded as an event on the
    message, never by changing the text received."""

    model_config = ConfigDict(extra="forbid", title="SourceChangeIn")

    change: Literal["edited", "deleted_at_source"] = Field(
        description="`edited` (with the new `text`) or `deleted_at_source`."
    )
    source: Source = Field(description="The source of the message changed, as it was ingested.")
    external_id: ShortText = Field(description="The `external_id` of the message changed.")
    text: MessageText | None = Field(
        default=None, validate_default=True, description="With `edited`: the text as it now reads."
    )
    at: Moment | None = Field(
        default=None, description="When the source says it was edited or deleted (ISO 8601 with a time zone)."
    )

    @field_validator("text")
    @classmethod
    def _text_with_an_edit_only(cls, text: str | None, info: ValidationInfo) -> str | None:
        change = info.data.get("change")
        if change == "edited" and text is None:
            raise PydanticCustomError("edit_text", "required with change 'edited'")
        if change == "deleted_at_source" and text is not None:
            raise PydanticCustomError("deletion_text", "not allowed with change 'deleted_at_source'")
        return text


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
class Reference:
    type: str
    external_id: str

    def message_id(self, source: str) -> str:
        return message_id(source, self.external_id)


@dataclass(frozen=True, slots=True)
class MessageDetails:
    """What the source said about a message beyond its text (see `DetailsIn`); empty for most."""

    content_warning: str | None = None
    visibility: str | None = None
    sensitive: bool | None = None
    references: tuple[Reference, ...] = ()
    country: str | None = None
    """Where it was sent from, where the source says (`hustings.places`)."""
    nation: str | None = None

    @classmethod
    def from_input(cls, given: DetailsIn | None) -> MessageDetails:
        if given is None:
            return cls()
        country, nation = checked_place(given.country, given.nation.value if given.nation else None)
        return cls(
            content_warning=given.content_warning,
            visibility=given.visibility,
            sensitive=given.sensitive,
            references=tuple(Reference(item.type, item.external_id) for item in given.references),
            country=country,
            nation=nation,
        )

    @property
    def empty(self) -> bool:
        """The source said nothing beyond the text."""
        return self == MessageDetails()

    def to_json(self) -> dict[str, Any] | None:
        """The stored form: None when the source said nothing more."""
        if self.empty:
            return None
        return {
            "content_warning": self.content_warning,
            "visibility": self.visibility,
            "sensitive": self.sensitive,
            "references": [{"type": ref.type, "external_id": ref.external_id} for ref in self.references],
            **({"country": self.country, "nation": self.nation} if self.country else {}),
        }

    @classmethod
    def from_json(cls, stored: Mapping[str, Any] | None) -> MessageDetails:
        if not stored:
            return cls()
        return cls(
            content_warning=stored.get("content_warning"),
            visibility=stored.get("visibility"),
            sensitive=stored.get("sensitive"),
            references=tuple(
                Reference(ref["type"], ref["external_id"]) for ref in stored.get("references", [])
            ),
            country=stored.get("country"),
            nation=stored.get("nation"),
        )


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
    details: MessageDetails = MessageDetails()

    @property
    def target_refs(self) -> tuple[str, ...]:
        return tuple(ref for ref, _ in self.targets)

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(target_id for _, target_id in self.targets if target_id))


@dataclass(frozen=True, slots=True)
class OriginalRecord:
    """A record exactly as its source delivered it (a JSON line, an API response, an e-mail), kept
    byte for byte so that evidence can show what was received and prove it unaltered."""

    payload: bytes
    format: str
    """How the payload is read, e.g. `mastodon` or `eml` (the `hustings ingest --format`)."""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one message was read from: its record, the place in it, and what read it."""

    record: OriginalRecord
    pointer: str
    """An RFC 6901 JSON pointer to the message within the record (``/data/2``); empty for the whole."""
    converter: str
    converter_version: str
    source_time: datetime | None = None
    """When the source says it emitted or received the record (Jetstream `time_us`, a mail's
    first `Received:`), where it says so."""

    def to_json(self) -> dict[str, Any]:
        """The origin as JSON (the record's bytes in base64), to travel with its message."""
        return {
            "record": base64.b64encode(self.record.payload).decode("ascii"),
            "format": self.record.format,
            "pointer": self.pointer,
            "converter": self.converter,
            "converter_version": self.converter_version,
            "source_time": self.source_time.isoformat() if self.source_time else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Origin:
        return cls(
            record=OriginalRecord(base64.b64decode(data["record"]), data["format"]),
            pointer=data["pointer"],
            converter=data["converter"],
            converter_version=data["converter_version"],
            source_time=datetime.fromisoformat(data["source_time"]) if data["source_time"] else None,
        )


@dataclass(frozen=True, slots=True)
class Capture:
    """An origin as stored: which message it gave, and when Hustings received it."""

    message_id: str
    origin: Origin
    received_at: datetime


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
