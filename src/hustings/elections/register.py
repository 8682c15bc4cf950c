"""Reading Democracy Club's candidates CSV: one `RegisterRow` per good row, one `RowProblem` per
fault in a bad one, named by line and column. Pure: no storage, no clock.

The CSV is the one Democracy Club's candidates site exports
(https://candidates.democracyclub.org.uk/data/). Columns read:

| column | read as |
|---|---|
| `person_id` | the person's id at Democracy Club: which target they are |
| `person_name` | the target's name |
| `election_id`, `ballot_paper_id` | the election and the ballot, in Democracy Club's id form |
| `election_date` | checked against the date in the ids, if given |
| `election_current` | read, checked as a yes or no |
| `party_name`, `party_id` | the party the person stands for on that ballot |
| `post_label` | the constituency, ward or region |
| `cancelled_poll`, `seats_contested` | the ballot's |
| `twitter_username` | the bare X handle (``@`` and an x.com or twitter.com address are allowed too) |
| `mastodon_username` | a profile address, ``https://mastodon.scot/@name``: the handle ``name@mastodon.scot`` |
| `blue_sky_url` | a profile address whose last part is a handle or a DID |

Every other column (``email``, ``gender``, ``image``...) is left unread: Hustings keeps of a
candidate only what it needs to match the messages addressed to them. The first six columns
are required in the header; the others may be missing (older exports lack some handles).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from hustings.elections.model import check_ballot_of, parse_dc_id
from hustings.errors import InvalidInput
from hustings.messages.model import normalise_handle

REQUIRED_COLUMNS = ("person_id", "person_name", "election_id", "ballot_paper_id", "party_name", "post_label")
OPTIONAL_COLUMNS = (
    "election_date",
    "election_current",
    "party_id",
    "cancelled_poll",
    "seats_contested",
    "twitter_username",
    "mastodon_username",
    "blue_sky_url",
)
HANDLE_COLUMNS = {"twitter_username": "x", "mastodon_username": "mastodon", "blue_sky_url": "bluesky"}
"""Each handle column and the source (platform) whose messages its handle is matched on."""

_PERSON_ID = re.compile(r"\d{1,18}")
_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
_X_HOSTS = frozenset({"twitter.com", "www.twitter.com", "mobile.twitter.com", "x.com", "www.x.com"})
_HOST = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
_MASTODON_USER = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*")
_DID = re.compile(r"did:(?:plc:[a-z2-7]{24}|web:[A-Za-z0-9.:%-]+)")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0", ""})
MAX_SEATS = 100
MAX_REGISTER_BYTES = 20_000_000
"""The largest register taken by upload: a general election's is about 1.5 MB, with room for every column Democracy Club adds."""


@dataclass(frozen=True, slots=True)
class Handle:
    column: str
    platform: str
    handle: str
    """Normalised as targets keep handles: lower case, no leading ``@``."""


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One good row: one person on one ballot."""

    line: int
    person_id: str
    name: str
    election_id: str
    ballot_paper_id: str
    party_name: str
    party_id: str
    post_label: str
    cancelled_poll: bool = False
    seats_contested: int | None = None
    handles: tuple[Handle, ...] = ()

    @property
    def handle_pairs(self) -> list[list[str]]:
        """The handles as the event log keeps them: sorted ``[platform, handle]`` pairs."""
        return sorted([h.platform, h.handle] for h in self.handles)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row was left out: its line in the file (the first, for a row over several lines) and the column at fault."""

    line: int
    column: str
    error: str
    person_id: str | None = None
    """The row's person id, where it could be read: that person is not withdrawn for a missing row."""
    ballot_paper_id: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.error}"

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "error": self.error}


@dataclass(frozen=True, slots=True)
class RegisterFile:
    rows: list[RegisterRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


# ---------------------------------------------------------------------- cells


def twitter_handle(value: str) -> str:
    """A bare X handle (``@name``, or an x.com or twitter.com profile address, accepted too)."""
    text = value.strip()
    if "/" in text:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        path = [p for p in parts.path.split("/") if p]
        if (parts.hostname or "") not in _X_HOSTS or len(path) != 1:
            raise ValueError(f"{value!r} is not an X handle or profile address")
        text = path[0]
    text = text.removeprefix("@")
    if not _X_HANDLE.fullmatch(text):
        raise ValueError(f"{value!r} is not an X handle (1 to 15 letters, digits or _)")
    return normalise_handle(text)


def mastodon_handle(value: str) -> str:
    """``https://server/@name`` (Democracy Club's form) or ``@name@server``, as ``name@server``."""
    text = value.strip()
    if "://" in text:
        parts = urlsplit(text)
        path = [p for p in parts.path.split("/") if p]
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or len(path) != 1 or not path[0].startswith("@"):
            raise ValueError(f"{value!r} is not a Mastodon profile address (https://server/@name)")
        user = path[0][1:]
    else:
        user, at, host = text.removeprefix("@").partition("@")
        if not at:
            raise ValueError(
                f"{value!r} is not a Mastodon profile address (https://server/@name) or @name@server"
            )
        host = host.lower()
    if not _MASTODON_USER.fullmatch(user) or not _HOST.fullmatch(host):
        raise ValueError(f"{value!r} is not a Mastodon profile address (https://server/@name)")
    return normalise_handle(f"{user}@{host}")


def bluesky_handle(value: str) -> str:
    """The last part of a Bluesky profile address: a handle (a domain name) or a DID."""
    text = value.strip()
    last = [
        p
        for p in urlsplit(text if "://" in text else f"https://bsky.app/profile/{text}").path.split("/")
        if p
    ]
    candidate = last[-1].removeprefix("@") if last else ""
    if _DID.fullmatch(candidate):
        return candidate
    if _HOST.fullmatch(candidate.lower()):
        return normalise_handle(candidate)
    raise ValueError(f"{value!r} is not a Bluesky profile address ending in a handle or a DID")


HANDLE_READERS: dict[str, Callable[[str], str]] = {
    "twitter_username": twitter_handle,
    "mastodon_username": mastodon_handle,
    "blue_sky_url": bluesky_handle,
}


def yes_no(value: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not True or False")


def seats(value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_SEATS:
        raise ValueError(f"{value!r} is not a number of seats (1 to {MAX_SEATS})")
    return int(text)


def text_cell(value: str, *, max_length: int, required: bool) -> str:
    text = " ".join(value.split())
    if required and not text:
        raise ValueError("is empty")
    if len(text) > max_length:
        raise ValueError(f"is longer than {max_length} characters")
    return text


# ---------------------------------------------------------------------- rows


class _Row:
    """One CSV record being read: its cells by column, and the faults found so far."""

    def __init__(self, line: int, cells: dict[str, str]) -> None:
        self.line = line
        self.cells = cells
        self.problems: list[RowProblem] = []

    def get(self, column: str) -> str:
        return self.cells.get(column, "")

    def read(self, column: str, reader: Callable[[str], object]) -> object:
        try:
            return reader(self.get(column))
        except (ValueError, InvalidInput) as error:
            message = str(error).removeprefix(f"{column}: ")
            self.problems.append(RowProblem(self.line, column, message))
            return None


def _read_row(row: _Row) -> RegisterRow | None:
    for column, value in row.cells.items():
        if "\x00" in value:
            row.problems.append(
                RowProblem(row.line, column, "contains a NUL character, which cannot be stored")
            )
    if row.problems:
        return None
    person_id = row.read("person_id", _person_id)
    name = row.read("person_name", lambda v: text_cell(v, max_length=200, required=True))
    election_id = row.read("election_id", lambda v: parse_dc_id(v, "election_id").value)
    ballot_id = None
    if isinstance(election_id, str):
        ballot_id = row.read("ballot_paper_id", lambda v: check_ballot_of(election_id, v.strip()))
        polling = parse_dc_id(election_id).date
        row.read("election_date", lambda v: _same_date(v, polling))
    row.read("election_current", yes_no)
    party_name = row.read("party_name", lambda v: text_cell(v, max_length=120, required=False))
    party_id = row.read("party_id", lambda v: text_cell(v, max_length=60, required=False))
    post_label = row.read("post_label", lambda v: text_cell(v, max_length=200, required=True))
    cancelled = row.read("cancelled_poll", yes_no)
    seats_contested = row.read("seats_contested", seats)
    handles = []
    for column, read in HANDLE_READERS.items():
        if row.get(column).strip():
            handle = row.read(column, read)
            if isinstance(handle, str):
                handles.append(Handle(column, HANDLE_COLUMNS[column], handle))
    if row.problems:
        known_person = person_id if isinstance(person_id, str) else None
        known_ballot = ballot_id if isinstance(ballot_id, str) else None
        row.problems[:] = [
            RowProblem(p.line, p.column, p.error, known_person, known_ballot) for p in row.problems
        ]
        return None
    assert isinstance(person_id, str) and isinstance(name, str) and isinstance(election_id, str)
    assert isinstance(ballot_id, str) and isinstance(party_name, str) and isinstance(party_id, str)
    assert isinstance(post_label, str) and isinstance(cancelled, bool)
    assert seats_contested is None or isinstance(seats_contested, int)
    return RegisterRow(
        line=row.line,
        person_id=person_id,
        name=name,
        election_id=election_id,
        ballot_paper_id=ballot_id,
        party_name=party_name,
        party_id=party_id,
        post_label=post_label,
        cancelled_poll=cancelled,
        seats_contested=seats_contested,
        handles=tuple(handles),
    )


def _person_id(value: str) -> str:
    text = value.strip()
    if not _PERSON_ID.fullmatch(text):
        raise ValueError(f"{value!r} is not a Democracy Club person id (a number)")
    return str(int(text))


def _same_date(value: str, polling: date) -> None:
    text = value.strip()
    if not text:
        return
    try:
        given = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if given != polling:
        raise ValueError(f"{text} is not the date in the election id ({polling.isoformat()})")


class _Unreadable(Exception):
    def __init__(self, line: int, error: csv.Error) -> None:
        super().__init__(f"line {line}: {error}")
        self.line = line
        self.error = error


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on; a record the csv module cannot read raises `_Unreadable`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _Unreadable(line, error) from None
        if record and any(cell.strip() for cell in record):
            yield line, record


def decode_register(raw: bytes) -> str:
    """A CSV file's bytes as text (UTF-8, with or without a byte-order mark); `InvalidInput` naming the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InvalidInput(
            f"file: not UTF-8 text: byte 0x{raw[error.start]:02x} on line {line}; save the CSV as UTF-8"
        ) from None


def parse_register(text: str) -> RegisterFile:
    """Every row of a Democracy Club candidates CSV: the good ones, and each fault in the bad ones.

    A header without the required columns is an `InvalidInput` for the whole file. A duplicate row
    (the same person twice on one ballot) is a fault at its second line.
    """
    result = RegisterFile()
    records = _records(text.removeprefix("\ufeff"))
    try:
        first = next(records, None)
    except _Unreadable as error:
        raise InvalidInput(f"header: {error}") from None
    if first is None:
        raise InvalidInput("file: empty; expected Democracy Club's candidates CSV with its header row")
    header = [name.strip().lower() for name in first[1]]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise InvalidInput(f"header: missing {', '.join(missing)}; is this Democracy Club's candidates CSV?")
    seen: dict[tuple[str, str], int] = {}
    try:
        for line, record in records:
            if len(record) != len(header):
                column = header[len(record)] if len(record) < len(header) else "(row)"
                result.problems.append(
                    RowProblem(line, column, f"has {len(record)} fields where the header has {len(header)}")
                )
                continue
            row = _Row(line, dict(zip(header, record, strict=True)))
            good = _read_row(row)
            if good is None:
                result.problems.extend(row.problems)
                continue
            key = (good.person_id, good.ballot_paper_id)
            if key in seen:
                result.problems.append(
                    RowProblem(
                        line,
                        "person_id",
                        f"person {good.person_id} is already on {good.ballot_paper_id} at line {seen[key]}",
                        good.person_id,
                        good.ballot_paper_id,
                    )
                )
                continue
            seen[key] = line
            result.rows.append(good)
    except _Unreadable as error:
        result.problems.append(
            RowProblem(error.line, "(row)", f"{error.error}; the rest of the file was not read")
        )
    return result
