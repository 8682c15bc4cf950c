"""A target's controls: block and mute lists, hidden words, sensitivity, "only accounts I know".

Controls are the `controls` subject's status (see `hustings.protection.events`); this module
reads it into a `Controls` value and holds the pure logic: hidden-word matching through
obfuscation, block and mute lists as CSV, and the sensitivity setting as detector thresholds.

Hidden words are matched on text run through `hustings.detect.normalise.normalise` (the
detector's own normaliser: zero-width characters dropped, homoglyphs and accents folded,
leetspeak read as letters, spaced-out letters joined) and then with every run of a repeated
letter shrunk to one, so "idiooooot" and "idiot" meet. A hidden word matches at the start of a
word: "idiot" also hides "idiots" and "idiotic".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from hustings.detect.assessment import LABELS, Assessment, Label
from hustings.detect.normalise import normalise
from hustings.errors import InvalidInput
from hustings.events.model import Status
from hustings.messages.model import Author, normalise_handle

_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
MAX_HIDDEN_WORD = 100


class Sensitivity(StrEnum):
    """How readily the safe inbox treats a message as hostile.

    ``standard`` uses the detector's own flags; ``high`` lowers every threshold by a third (more
    is blurred and held); ``low`` raises each threshold half-way to 1 (only the clearest cases).
    """

    LOW = "low"
    STANDARD = "standard"
    HIGH = "high"


@lru_cache(maxsize=1)
def base_thresholds() -> dict[Label, float]:
    """The shipped model's thresholds, or 0.5 for every label where no model is installed."""
    try:
        from hustings.detect import default_thresholds

        return dict(default_thresholds())
    except Exception:  # no model folder yet (a fresh checkout, tests): fall back to the midpoint
        return dict.fromkeys(LABELS, 0.5)


def thresholds_for(sensitivity: Sensitivity, base: Mapping[Label, float] | None = None) -> dict[Label, float]:
    """Per-label thresholds for a sensitivity setting, derived from the model's own."""
    thresholds = dict(base if base is not None else base_thresholds())
    if sensitivity is Sensitivity.HIGH:
        return {label: round(value * 2 / 3, 6) for label, value in thresholds.items()}
    if sensitivity is Sensitivity.LOW:
        return {label: round(value + (1 - value) / 2, 6) for label, value in thresholds.items()}
    return thresholds


def hostile_labels(
    assessment: Assessment | None, sensitivity: Sensitivity, base: Mapping[Label, float] | None = None
) -> tuple[Label, ...]:
    """The labels a message counts as hostile for at this sensitivity (re-thresholded, not re-scored).

    `base` is the thresholds the assessment was flagged at (the deployment's, where it sets its
    own); ``high`` and ``low`` are derived from it.
    """
    if assessment is None:
        return ()
    if sensitivity is Sensitivity.STANDARD:
        return tuple(assessment.flagged)
    from hustings.detect import flag

    return tuple(flag(assessment.labels, thresholds_for(sensitivity, base)))


# ---------------------------------------------------------------------------- accounts


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account on a block or mute list: platform and handle (lower case, no '@')."""

    platform: str
    handle: str
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.handle}"

    def to_json(self) -> dict[str, str]:
        return {"platform": self.platform, "handle": self.handle, "note": self.note}


def account_ref(platform: str, handle: str, note: str = "") -> AccountRef:
    """Validate and normalise one account; raise `InvalidInput` naming the field at fault."""
    platform = platform.strip().lower()
    if not _PLATFORM.match(platform):
        raise InvalidInput(
            f"platform: {platform!r} is not a platform name (lower-case letters, digits, . _ -)"
        )
    cleaned = normalise_handle(handle)
    if not cleaned or len(cleaned) > 200 or any(ch.isspace() or ch == "\x00" for ch in cleaned):
        raise InvalidInput(f"handle: {handle!r} is not a handle (1 to 200 characters, no spaces)")
    if "\x00" in note:
        raise InvalidInput("note: contains a NUL character (\\u0000), which cannot be stored")
    return AccountRef(platform=platform, handle=cleaned, note=note.strip()[:500])


def author_key_of(author: Author) -> str:
    """The block/mute key of a message's author: its source and handle."""
    return f"{author.source}:{normalise_handle(author.handle)}"


@dataclass(frozen=True, slots=True)
class CsvProblem:
    line: int
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "error": self.error}


CSV_HEADER = ("platform", "handle", "note")


def parse_accounts_csv(text: str) -> tuple[list[AccountRef], list[CsvProblem]]:
    """Read a block or mute list: ``platform,handle[,note[,added_at]]`` per line, header optional.

    Bad rows are named by line number and skipped; the good rows are returned all the same.
    """
    accounts: list[AccountRef] = []
    problems: list[CsvProblem] = []
    reader = csv.reader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line == 1 and [c.lower() for c in cells[:2]] == ["platform", "handle"]:
            continue
        if len(cells) < 2:
            problems.append(CsvProblem(line, "expected platform,handle[,note]"))
            continue
        if len(cells) > 4:
            problems.append(CsvProblem(line, f"expected at most 4 columns, got {len(cells)}"))
            continue
        try:
            # A fourth column is the `added_at` of an export, read back; it is not kept.
            accounts.append(account_ref(cells[0], cells[1], cells[2] if len(cells) >= 3 else ""))
        except InvalidInput as error:
            problems.append(CsvProblem(line, str(error)))
    return accounts, problems


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def accounts_csv(entries: Iterable[Mapping[str, Any]]) -> str:
    """A block or mute list as CSV, with a header; `parse_accounts_csv` reads it back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CSV_HEADER, "added_at"])
    for entry in sorted(entries, key=lambda e: (e["platform"], e["handle"])):
        writer.writerow(
            [entry["platform"], entry["handle"], _cell(str(entry.get("note", ""))), entry.get("added_at", "")]
        )
    return buffer.getvalue()


# ---------------------------------------------------------------------------- hidden words


@dataclass(frozen=True, slots=True)
class Folded:
    """Text folded for hidden-word matching, with each character's span in the original."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]


def fold(text: str) -> Folded:
    """Normalise (see module docstring), then shrink every run of one letter to a single letter."""
    normalised = normalise(text)
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for ch, start, end in zip(normalised.text, normalised.starts, normalised.ends, strict=True):
        if chars and ch == chars[-1] and ch.isalpha():
            ends[-1] = end
            continue
        chars.append(ch)
        starts.append(start)
        ends.append(end)
    return Folded("".join(chars), tuple(starts), tuple(ends))


def clean_hidden_word(word: str) -> str:
    """Validate a hidden word or phrase as entered; raise `InvalidInput` naming the field."""
    cleaned = " ".join(word.split())
    if not cleaned or len(cleaned) > MAX_HIDDEN_WORD:
        raise InvalidInput(f"word: must be 1 to {MAX_HIDDEN_WORD} characters")
    if not fold(cleaned).text.strip():
        raise InvalidInput(f"word: {word!r} has no letters or digits to match")
    return cleaned


@dataclass(frozen=True, slots=True)
class HiddenWordMatch:
    word: str
    start: int
    end: int
    """Offsets in the original text, so `text[start:end]` is what the sender typed."""


# Single characters split by one separator ("a i d i o t", "k.i.l.l"). The normaliser joins such
# runs but can glue a one-letter word onto them ("what a i d i o t" -> "what aidiot"), so a hidden
# word is also looked for anywhere inside each run, squashed.
_SPACED_RUN = re.compile(r"(?<![^\W_])(?:[^\s.\-_*/|][ .\-_*/|]){2,}[^\s.\-_*/|](?![^\W_])")
_SEPARATORS = re.compile(r"[ .\-_*/|]")


# The detector's normaliser leaves digits alone where the word looks like a UK postcode ("tr4i7or"
# reads as TR4I 7OR), rightly for detection; for a hidden word the person chose, also try the text
# with every digit inside a word read as a letter. One character for one, so offsets still hold.
_PLAIN_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})
_TOKEN = re.compile(r"\S+")


def _read_digits_as_letters(text: str) -> str:
    return _TOKEN.sub(
        lambda m: m.group().translate(_PLAIN_LEET) if sum(c.isalpha() for c in m.group()) >= 2 else m.group(),
        text,
    )


def find_hidden_words(text: str, words: Sequence[str]) -> list[HiddenWordMatch]:
    """Every hidden word found in `text`, through obfuscation; at most one match per word."""
    if not words or not text:
        return []
    found: list[HiddenWordMatch] = []
    remaining = list(words)
    plain = _read_digits_as_letters(text)
    for candidate in (text, plain) if plain != text else (text,):
        matched = _find(candidate, remaining)
        found.extend(matched)
        remaining = [w for w in remaining if w not in {m.word for m in matched}]
    return found


def _find(text: str, words: Sequence[str]) -> list[HiddenWordMatch]:
    folded = fold(text)
    runs = [
        (m.start(), m.end(), fold(_SEPARATORS.sub("", m.group())).text) for m in _SPACED_RUN.finditer(text)
    ]
    found: list[HiddenWordMatch] = []
    for word in words:
        needle = fold(word).text.strip()
        if not needle:
            continue
        match = re.search(r"(?<![a-z0-9])" + re.escape(needle), folded.text)
        if match is not None:
            found.append(HiddenWordMatch(word, folded.starts[match.start()], folded.ends[match.end() - 1]))
            continue
        squashed = needle.replace(" ", "")
        for start, end, run in runs:
            if squashed in run:
                found.append(HiddenWordMatch(word, start, end))
                break
    return found


# ---------------------------------------------------------------------------- controls


@dataclass(frozen=True, slots=True)
class Controls:
    """A target's controls as they stand (from the `controls` subject's status)."""

    target_id: str
    blocked: Mapping[str, Mapping[str, Any]]
    muted: Mapping[str, Mapping[str, Any]]
    hidden_words: tuple[str, ...] = ()
    sensitivity: Sensitivity = Sensitivity.STANDARD
    only_known: bool = False
    auto_shield: bool = False

    @classmethod
    def from_status(cls, target_id: str, status: Status | None) -> Controls:
        data: Mapping[str, Any] = status.data if status is not None else {}
        return cls(
            target_id=target_id,
            blocked=dict(data.get("blocked", {})),
            muted=dict(data.get("muted", {})),
            hidden_words=tuple(data.get("hidden_words", ())),
            sensitivity=Sensitivity(data.get("sensitivity", Sensitivity.STANDARD.value)),
            only_known=bool(data.get("only_known", False)),
            auto_shield=bool(data.get("auto_shield", False)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "target_id": self.target_id,
            "blocked": sorted(self.blocked),
            "muted": sorted(self.muted),
            "hidden_words": list(self.hidden_words),
            "sensitivity": self.sensitivity.value,
            "only_known": self.only_known,
            "auto_shield": self.auto_shield,
        }
