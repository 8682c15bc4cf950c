"""What a converter gives for one record: messages to ingest, things skipped, and problems.

A converter reads one record as its platform delivered it (a Jetstream event, a Mastodon status,
an X API response, an e-mail) and yields one outcome per thing in it. A bad thing is a `Problem`
naming the platform's field at fault; the good things beside it still come out as `Item`s.
Converters raise nothing for bad input: `FieldError` is how their helpers say which field is
wrong, and it never leaves the converter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from hustings.messages.changes import SourceChange
from hustings.messages.model import MessageIn


@dataclass(frozen=True, slots=True)
class Item:
    """A message read from the record, as the raw dict `MessageIn` validates."""

    pointer: str
    """An RFC 6901 JSON pointer to the message within its record; empty for the whole record."""
    message: dict[str, Any]
    source_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A thing in the record that is not a message to ingest: a like, a follow, a deletion..."""

    pointer: str
    reason: str


@dataclass(frozen=True, slots=True)
class Problem:
    """A thing that should be a message but cannot be read: `error` names the field at fault."""

    pointer: str
    error: str


@dataclass(frozen=True, slots=True)
class Change:
    """The source says a message it sent before was edited or deleted."""

    pointer: str
    change: SourceChange


Outcome = Item | Change | Skipped | Problem


class FieldError(Exception):
    """A field of a platform's record that is missing or of the wrong kind (`path: problem`)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


def describe(pointer: str) -> str:
    """A JSON pointer as a reader writes the place: ``/data/2/author`` -> ``data[2].author``."""
    described = ""
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if part.isdigit():
            described += f"[{part}]"
        else:
            described += f".{part}" if described else part
    return described


def within(pointer: str, *parts: str | int) -> str:
    """`pointer` extended by `parts`, escaped as RFC 6901 says."""
    return pointer + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def field_path(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def as_object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(path or "record", f"expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(path, f"expected a JSON array, got {type(value).__name__}")
    return value


def required_text(record: Mapping[str, Any], key: str, base: str = "") -> str:
    value = record.get(key)
    if value is None:
        raise FieldError(field_path(base, key), "missing")
    if not isinstance(value, str):
        raise FieldError(field_path(base, key), f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise FieldError(field_path(base, key), "empty")
    return value


def optional_text(record: Mapping[str, Any], key: str, base: str = "") -> str | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(field_path(base, key), f"expected a string, got {type(value).__name__}")
    return value


def optional_object(record: Mapping[str, Any], key: str, base: str = "") -> Mapping[str, Any] | None:
    value = record.get(key)
    return None if value is None else as_object(value, field_path(base, key))


def optional_list(record: Mapping[str, Any], key: str, base: str = "") -> list[Any]:
    value = record.get(key)
    return [] if value is None else as_list(value, field_path(base, key))


def optional_count(record: Mapping[str, Any], key: str) -> int | None:
    """A non-negative count, or None where the source gives none (or gives nonsense)."""
    value = record.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def unique_refs(refs: list[str]) -> list[str]:
    """`refs` in order, each handle once however it is cased or prefixed."""
    seen: set[str] = set()
    kept: list[str] = []
    for ref in refs:
        key = ref.strip().lstrip("@").lower()
        if key and key not in seen:
            seen.add(key)
            kept.append(ref)
    return kept


def placed(pointer: str, path: str) -> str:
    """`path` (a field of the thing at `pointer`) as a path from the record's root."""
    place = describe(pointer)
    if not place:
        return path
    return f"{place}{path}" if path.startswith("[") else f"{place}.{path}"


def checked(
    pointer: str, message: dict[str, Any], fields: Mapping[str, str], source_time: datetime | None = None
) -> Outcome:
    """The message as an `Item` if `MessageIn` takes it, else a `Problem` naming the platform's
    field: `fields` maps a Hustings field (``created_at``, ``author.handle``) to the platform's
    (``commit.record.createdAt``), both relative to the thing at `pointer`."""
    try:
        MessageIn.model_validate(message)
    except ValidationError as error:
        parts = []
        for problem in error.errors():
            location = [str(part) for part in problem["loc"]]
            name = ".".join(location)
            for size in range(len(location), 0, -1):
                key = ".".join(location[:size])
                if key in fields:
                    name = ".".join([fields[key], *location[size:]])
                    break
            parts.append(f"{placed(pointer, name or 'message')}: {problem['msg']}")
        return Problem(pointer, "; ".join(parts))
    return Item(pointer, message, source_time)


def problem(pointer: str, error: FieldError) -> Problem:
    """A `FieldError` raised while reading the thing at `pointer`, named from the record's root."""
    return Problem(pointer, placed(pointer, str(error)))


_AT_DOMAIN = re.compile(r"^[a-z0-9.-]+$")


def host_of(url: str | None) -> str | None:
    """The lower-case host of an http(s) URL, or None."""
    if not url:
        return None
    match = re.match(r"^https?://([^/:?#@]+)", url.strip(), re.IGNORECASE)
    if match is None:
        return None
    host = match.group(1).lower()
    return host if _AT_DOMAIN.match(host) else None
