"""The private-details register: what a target keeps private, matched in messages and redacted.

A target (or their delegate, or an admin) keeps a register of details that must not be
published: home address and postcode, family members' names, children's schools, vehicle
registrations, personal phone numbers. The details are sealed at rest (`SecretBox`) in a table
of their own; the event log only ever says "a detail of kind X was added (id ...)" or "removed",
and a match says which kinds matched in which message, never the detail.

Pure parts, with no storage: `match_key` (the form a detail is compared in), `Register` (one
target's details, ready to match many messages), `redact` (a message's text with matched details,
detected addresses, postcodes and phone numbers replaced). Matching is tolerant of case, spacing
and the obfuscation `hustings.detect.normalise` undoes: "12 Acac1a Av enue" matches
"12 Acacia Avenue", "sw1a1aa" matches "SW1A 1AA", "+44 7700 900123" matches "07700 900123".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

from hustings.detect.normalise import normalise
from hustings.errors import InvalidInput
from hustings.events.model import SYSTEM_ACTOR, Event, Reducer, Status, initial_status

REGISTER = "private_register"
"""The subject type of a target's register (id: the target id); its status lists detail ids and
kinds, and the messages that matched, never a detail."""

DETAIL_ADDED = "private_detail.added"
DETAIL_REMOVED = "private_detail.removed"
DETAIL_MATCHED = "private_detail.matched"
MATCHER_MODEL = "private-register@1"
MATCH_CLOCK_HOURS = 1
"""A message naming a registered detail is due within this many hours."""
MAX_DETAIL = 300
MIN_KEY = 4
"""A detail shorter than this once normalised would match ordinary words; it is refused."""
ALERTS_KEPT = 50


class DetailKind(StrEnum):
    HOME_ADDRESS = "home_address"
    POSTCODE = "postcode"
    FAMILY_NAME = "family_name"
    SCHOOL = "school"
    VEHICLE = "vehicle"
    PHONE = "phone"


KIND_TITLES: dict[DetailKind, str] = {
    DetailKind.HOME_ADDRESS: "Home address",
    DetailKind.POSTCODE: "Postcode",
    DetailKind.FAMILY_NAME: "Family member's name",
    DetailKind.SCHOOL: "Child's school",
    DetailKind.VEHICLE: "Vehicle registration",
    DetailKind.PHONE: "Personal phone number",
}

REMOVED_WORDS: dict[str, str] = {
    DetailKind.HOME_ADDRESS: "[address removed]",
    DetailKind.POSTCODE: "[postcode removed]",
    DetailKind.FAMILY_NAME: "[name removed]",
    DetailKind.SCHOOL: "[school removed]",
    DetailKind.VEHICLE: "[vehicle removed]",
    DetailKind.PHONE: "[phone number removed]",
}

# Kinds compared as codes in the original text (letters and digits only): the normaliser reads
# digits inside words as letters, which would turn "AB12 CDE" into "abi2 cde".
_CODE_KINDS = frozenset({DetailKind.POSTCODE, DetailKind.VEHICLE, DetailKind.PHONE})

# UK postcodes with or without the space; phone numbers in UK national or +44 form, any spacing.
UK_POSTCODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}(?![A-Za-z0-9])")
UK_PHONE = re.compile(r"(?<![\w+])(?:\+\s?44\s?(?:\(0\)\s?)?|0)\d(?:[\s\-.]?\d){8,9}(?!\d)")


def parse_kind(value: str) -> DetailKind:
    try:
        return DetailKind(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"kind: must be one of {', '.join(kind.value for kind in DetailKind)}, not {value!r}"
        ) from None


def _phone_digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("440"):
        digits = digits[3:]
    elif digits.startswith("44"):
        digits = digits[2:]
    return digits if digits.startswith("0") else "0" + digits


def match_key(kind: DetailKind, value: str) -> str:
    """The form a detail is compared in: letters and digits only, case folded; a phone number in
    its national form ("07700900123"); words normalised as the detector reads them."""
    if kind == DetailKind.PHONE:
        return _phone_digits(value)
    if kind in _CODE_KINDS:
        return "".join(ch for ch in value.lower() if ch.isalnum())
    return "".join(ch for ch in normalise(value).text if ch.isalnum())


def clean_detail(kind: DetailKind, value: str) -> str:
    """The detail as it will be kept, or `InvalidInput` naming what is wrong with it."""
    value = " ".join(value.split())
    if not value:
        raise InvalidInput("value: give the detail")
    if len(value) > MAX_DETAIL:
        raise InvalidInput(f"value: at most {MAX_DETAIL} characters")
    if len(match_key(kind, value)) < MIN_KEY:
        raise InvalidInput(
            f"value: too short to recognise in a message (at least {MIN_KEY} letters or digits)"
        )
    if kind == DetailKind.PHONE and not 10 <= len(match_key(kind, value)) <= 11:
        raise InvalidInput("value: a UK phone number has 10 or 11 digits")
    return value


@dataclass(frozen=True, slots=True)
class PrivateDetail:
    """One detail of a target's register, opened: only its target, their delegates and admins see it."""

    id: str
    target_id: str
    kind: DetailKind
    value: str
    added_at: datetime

    @property
    def masked(self) -> str:
        """What the register page shows until the reader asks to reveal it."""
        shown = self.value[:2] if len(self.value) > 6 else self.value[:1]
        return shown + "•" * max(4, min(12, len(self.value) - len(shown)))


@dataclass(frozen=True, slots=True)
class Match:
    """Where a registered detail appears in a text: its id, kind and span of the original text."""

    detail_id: str
    kind: DetailKind
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Span:
    """A span of a text to redact, and the words that replace it."""

    start: int
    end: int
    words: str


def _compact(text: str) -> tuple[str, list[int]]:
    """`text` with only its letters and digits, and for each the index it had in `text`."""
    kept = [(ch, i) for i, ch in enumerate(text) if ch.isalnum()]
    return "".join(ch for ch, _ in kept), [i for _, i in kept]


def _at_boundaries(text: str, start: int, end: int) -> bool:
    before = start == 0 or not text[start - 1].isalnum()
    after = end >= len(text) or not text[end].isalnum()
    return before and after


def _find(text: str, compact: str, index: list[int], key: str) -> Iterable[tuple[int, int]]:
    """Spans of `text` whose letters and digits are `key`, starting and ending on word boundaries."""
    at = compact.find(key)
    while at >= 0:
        start, end = index[at], index[at + len(key) - 1] + 1
        if _at_boundaries(text, start, end):
            yield start, end
        at = compact.find(key, at + 1)


class Register:
    """One target's details, keyed once, to match any number of messages."""

    def __init__(self, details: Sequence[PrivateDetail]) -> None:
        self.details = list(details)
        self._words: list[tuple[PrivateDetail, str]] = []
        self._codes: list[tuple[PrivateDetail, str]] = []
        for detail in self.details:
            key = match_key(detail.kind, detail.value)
            if detail.kind == DetailKind.PHONE:
                self._codes.append((detail, key))
                self._codes.append((detail, "44" + key[1:]))
            elif detail.kind in _CODE_KINDS:
                self._codes.append((detail, key.upper()))
            else:
                self._words.append((detail, key))

    def __bool__(self) -> bool:
        return bool(self.details)

    def matches(self, text: str) -> list[Match]:
        """Every place a registered detail appears in `text`, in order; one detail may match twice."""
        found: list[Match] = []
        if self._codes:
            upper = text.upper()
            compact, index = _compact(upper)
            for detail, key in self._codes:
                found.extend(
                    Match(detail.id, detail.kind, s, e) for s, e in _find(upper, compact, index, key)
                )
        if self._words:
            normal = normalise(text)
            compact, index = _compact(normal.text)
            for detail, key in self._words:
                for start, end in _find(normal.text, compact, index, key):
                    s, e = normal.original_span(start, end)
                    found.append(Match(detail.id, detail.kind, s, e))
        return sorted(found, key=lambda m: (m.start, m.end))


def detected_spans(text: str, evidence: Iterable[tuple[int, int]] = ()) -> list[Span]:
    """Postcodes and phone numbers anywhere in `text`, and the detector's doxxing evidence spans."""
    spans = [Span(m.start(), m.end(), REMOVED_WORDS[DetailKind.POSTCODE]) for m in UK_POSTCODE.finditer(text)]
    spans += [Span(m.start(), m.end(), REMOVED_WORDS[DetailKind.PHONE]) for m in UK_PHONE.finditer(text)]
    spans += [
        Span(s, e, REMOVED_WORDS[DetailKind.HOME_ADDRESS]) for s, e in evidence if 0 <= s < e <= len(text)
    ]
    return spans


def redact(text: str, *, register: Register | None = None, evidence: Iterable[tuple[int, int]] = ()) -> str:
    """`text` as anyone but a moderator working it or the police may see it.

    Registered details (`register`), UK postcodes and phone numbers, and the detector's doxxing
    evidence (`evidence`, spans of `text`) are replaced by words saying what was removed;
    overlapping spans become one, named by the first.
    """
    spans = detected_spans(text, evidence)
    if register:
        spans += [Span(m.start, m.end, REMOVED_WORDS[m.kind]) for m in register.matches(text)]
    if not spans:
        return text
    spans.sort(key=lambda s: (s.start, -s.end))
    out: list[str] = []
    last = 0
    words = ""
    end = -1
    for span in spans:
        if span.start < end:  # overlaps the span being built: widen it
            end = max(end, span.end)
            continue
        if end >= 0:
            out.append(words)
            last = end
        out.append(text[last : span.start])
        words, end = span.words, span.end
    out.append(words)
    out.append(text[end:])
    return "".join(out)


# ---------------------------------------------------------------- events


class DetailChanged(TypedDict):
    detail_id: str
    kind: str


class DetailMatched(TypedDict):
    message_id: str
    kinds: list[str]
    detail_ids: list[str]
    report_id: str | None


def detail_added(target_id: str, detail_id: str, kind: DetailKind, *, actor: str, at: datetime) -> Event:
    payload: DetailChanged = {"detail_id": detail_id, "kind": kind.value}
    return Event(
        kind=DETAIL_ADDED,
        subject_type=REGISTER,
        subject_id=target_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{DETAIL_ADDED}:{detail_id}",
        reason=f"a detail of kind {kind.value} was added",
        payload=dict(payload),
    )


def detail_removed(target_id: str, detail_id: str, kind: DetailKind, *, actor: str, at: datetime) -> Event:
    payload: DetailChanged = {"detail_id": detail_id, "kind": kind.value}
    return Event(
        kind=DETAIL_REMOVED,
        subject_type=REGISTER,
        subject_id=target_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{DETAIL_REMOVED}:{detail_id}",
        reason=f"a detail of kind {kind.value} was removed",
        payload=dict(payload),
    )


def detail_matched(
    target_id: str, message_id: str, matches: Sequence[Match], *, report_id: str | None, at: datetime
) -> Event:
    """A message named registered details: which kinds and detail ids, never the details."""
    payload: DetailMatched = {
        "message_id": message_id,
        "kinds": sorted({m.kind.value for m in matches}),
        "detail_ids": sorted({m.detail_id for m in matches}),
        "report_id": report_id,
    }
    return Event(
        kind=DETAIL_MATCHED,
        subject_type=REGISTER,
        subject_id=target_id,
        actor=SYSTEM_ACTOR,
        occurred_at=at,
        idempotency_key=f"{DETAIL_MATCHED}:{target_id}:{message_id}",
        reason="the message names " + ", ".join(payload["kinds"]) + " from the private-details register",
        model=MATCHER_MODEL,
        payload=dict(payload),
    )


def reduce_register(status: Status | None, event: Event) -> Status:
    current = status or initial_status(event, state="kept")
    data: dict[str, Any] = dict(current.data)
    details: list[dict[str, Any]] = list(data.get("details", []))
    payload = event.payload
    if event.kind == DETAIL_ADDED:
        details.append(
            {"id": payload["detail_id"], "kind": payload["kind"], "added_at": event.occurred_at.isoformat()}
        )
    elif event.kind == DETAIL_REMOVED:
        details = [d for d in details if d["id"] != payload["detail_id"]]
    elif event.kind == DETAIL_MATCHED:
        alert = {
            "message_id": payload["message_id"],
            "kinds": list(payload["kinds"]),
            "at": event.occurred_at.isoformat(),
        }
        data["alerts"] = [alert, *data.get("alerts", [])][:ALERTS_KEPT]
        data["matched_messages"] = int(data.get("matched_messages", 0)) + 1
    data["details"] = details
    return current.evolve(state="kept", data=data, target_id=event.subject_id)


REDUCERS: dict[str, Reducer] = {REGISTER: reduce_register}
