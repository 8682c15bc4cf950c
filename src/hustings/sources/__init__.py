"""Sources: read messages in the shapes the platforms deliver them (`hustings ingest --format`).

One module per platform turns its own records into the raw message dicts that ingest validates
(`hustings.messages.model.MessageIn`): `bluesky` (Jetstream events), `mastodon` (statuses,
notifications, streaming events), `x` (API v2 responses) and `mail` (.eml and mbox). Converters
are pure: no database, no network; what they resolve, they resolve from the records themselves
and from the target register they are given. Each message keeps its `Origin`: the record as it
was received, byte for byte, and which converter read it. See docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from hustings.messages.model import Origin, OriginalRecord
from hustings.sources.bluesky import JetstreamConverter
from hustings.sources.mail import MailConverter
from hustings.sources.mastodon import MastodonConverter
from hustings.sources.record import Change, Item, Outcome, Problem, Skipped, describe
from hustings.sources.x import XConverter
from hustings.targets.model import Target


class Converter(Protocol):
    """Reads one record of its platform into outcomes; may remember what earlier records said."""

    name: str
    version: str

    def convert(self, value: object) -> Iterator[Outcome]: ...


Container = Literal["json", "eml", "mbox"]
"""How records lie in a file: JSON (one a line, or one document), one e-mail, or an mbox."""


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    source: str
    container: Container
    converter: Callable[[Sequence[Target]], Converter]
    """A fresh converter for one file, given the target register."""
    description: str


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format(
            "bluesky-jetstream", "bluesky", "json", JetstreamConverter, "Bluesky Jetstream events, one a line"
        ),
        Format(
            "mastodon",
            "mastodon",
            "json",
            lambda _: MastodonConverter(),
            "Mastodon statuses, notifications or streaming events",
        ),
        Format("x-v2", "x", "json", lambda _: XConverter(), "X API v2 responses"),
        Format("eml", "email", "eml", lambda _: MailConverter(), "one e-mail message (RFC 5322)"),
        Format("mbox", "email", "mbox", lambda _: MailConverter(), "an mbox file of e-mail messages"),
    )
}


@dataclass(frozen=True, slots=True)
class Record:
    """One record as read from a file: where it is, its bytes as received, and its parsed value."""

    where: str
    """How a user finds it: ``line 3``, ``file``, ``message 2``."""
    payload: bytes
    value: object


@dataclass(frozen=True, slots=True)
class Converted:
    where: str
    message: dict[str, Any]
    origin: Origin


@dataclass(frozen=True, slots=True)
class Changed:
    """An edit or deletion at the source of a message it sent before."""

    where: str
    change: Change


@dataclass(frozen=True, slots=True)
class Passed:
    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    where: str
    error: str


def convert(
    fmt: Format, converter: Converter, record: Record
) -> Iterator[Converted | Changed | Passed | Failed]:
    """Each outcome of one record, placed in the file and, for a message, with its origin."""
    original = OriginalRecord(payload=record.payload, format=fmt.name)
    for outcome in converter.convert(record.value):
        if isinstance(outcome, Item):
            place = describe(outcome.pointer)
            yield Converted(
                f"{record.where}, {place}" if place else record.where,
                outcome.message,
                Origin(
                    record=original,
                    pointer=outcome.pointer,
                    converter=converter.name,
                    converter_version=converter.version,
                    source_time=outcome.source_time,
                ),
            )
        elif isinstance(outcome, Change):
            yield Changed(record.where, outcome)
        elif isinstance(outcome, Skipped):
            yield Passed(record.where, outcome.reason)
        elif isinstance(outcome, Problem):
            yield Failed(record.where, outcome.error)


__all__ = [
    "FORMATS",
    "Change",
    "Changed",
    "Converted",
    "Converter",
    "Failed",
    "Format",
    "Passed",
    "Record",
    "convert",
]
