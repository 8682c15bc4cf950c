"""Undo the spelling tricks people use to slip intimidation past filters.

`normalise(text)` returns the cleaned text together with, for every character
of it, the span of the ORIGINAL text it came from. Evidence found in the
normalised text is mapped back through that table, so a moderator is always
shown the characters the sender actually typed.

The same function prepares training text, so the model never sees a form of
text at run time that it did not see in training.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

# (char, start, end): one character of the working text and the half-open span
# of the original text it stands for.
_Piece = tuple[str, int, int]

# Characters that render as nothing and are used to break words apart
# ("ki\u200bll"). Unicode category Cf covers most; variation selectors are Mn.
_INVISIBLE = frozenset({"\u00ad", "\u034f", "\u180e", "\ufe0e", "\ufe0f", "\u2060", "\ufeff"})

# Look-alike letters from other scripts, mapped to the Latin letter they imitate.
_HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ь": "b", "п": "n", "г": "r", "л": "n",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "І": "i", "Ј": "j", "Ѕ": "s",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "η": "n", "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h",
    "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Latin look-alikes NFKC leaves alone
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ß": "ss", "æ": "ae", "œ": "oe",
    "ɑ": "a", "ɩ": "i", "ʏ": "y", "ʀ": "r", "ɴ": "n", "ᴋ": "k", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e",
}  # fmt: skip

# Emoji that carry a threat or a slur's meaning; replaced by words the encoder knows.
_EMOJI: dict[str, str] = {
    "🔪": "knife", "🗡": "dagger", "⚔": "swords", "🪓": "axe", "🔫": "gun", "💣": "bomb",
    "🧨": "bomb", "🪢": "noose", "💀": "skull", "☠": "skull", "⚰": "coffin", "🪦": "grave",
    "🩸": "blood", "🔥": "fire", "🏹": "bow", "🧷": "pin", "💥": "bang", "🤬": "furious",
    "🖕": "fuck you", "🐒": "monkey", "🐵": "monkey", "🦍": "gorilla", "🐷": "pig", "🐖": "pig",
    "🤡": "clown", "🐀": "rat", "🍆": "penis", "💦": "cum", "🍑": "arse", "👅": "tongue",
    "🏠": "house", "🏡": "house", "📍": "location", "🏫": "school", "👀": "watching",
}  # fmt: skip

_LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "£": "l",
}  # fmt: skip
_ANY_LEET = re.compile("[" + re.escape("".join(_LEET)) + "]")

# Letters English doubles ("kill", "see"), so a run of them shrinks to two, not one.
_DOUBLING = frozenset("bcdefglmnoprstz")

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w{1,30}|<user>", re.IGNORECASE)
# Only the spaced form is protected: unspaced, "g01ng" would read as the postcode G0 1NG.
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b", re.IGNORECASE)
# A run of three or more single letters split by one separator: "k i l l", "k.i.l.l", "k-i-l-l".
_SPACED = re.compile(r"(?<![^\W_])[^\W_]([ .\-_*/|])[^\W_](?:\1[^\W_]){1,}(?![^\W_])")
_TOKEN = re.compile(r"[^\s]+")
_RUN_OF_THREE = re.compile(r"(.)\1\1", re.DOTALL)
_UNTIDY_SPACE = re.compile(r"[^\S ]|  |^ | $")
_PLACEHOLDER = re.compile(r"@user")
# Times, ordinals and amounts keep their digits: "10am", "3pm", "2nd", "7.30pm", "4x4".
_NUMBERISH = re.compile(r"^\W*\d+(?:[:.x]\d+)*(?:am|pm|st|nd|rd|th|s|k|m|p)?\W*$")


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text and, per character, the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span [start, end) of `text` back to the original text."""
        if not self.text or end <= start:
            return (0, 0)
        start = max(0, min(start, len(self.text) - 1))
        end = max(start + 1, min(end, len(self.text)))
        return (self.starts[start], self.ends[end - 1])


def _pieces(text: str) -> list[_Piece]:
    return [(ch, i, i + 1) for i, ch in enumerate(text)]


def _join(pieces: list[_Piece]) -> str:
    return "".join(p[0] for p in pieces)


def _replace_matches(pieces: list[_Piece], pattern: re.Pattern[str], replacement: str) -> list[_Piece]:
    """Replace each match of `pattern` by `replacement`, every new char spanning the whole match."""
    text = _join(pieces)
    if pattern.search(text) is None:  # the common case; each fast path below returns what the loop would
        return pieces
    out: list[_Piece] = []
    last = 0
    for match in pattern.finditer(text):
        out.extend(pieces[last : match.start()])
        span_start = pieces[match.start()][1]
        span_end = pieces[match.end() - 1][2]
        out.extend((ch, span_start, span_end) for ch in replacement)
        last = match.end()
    out.extend(pieces[last:])
    return out


def _per_char(pieces: list[_Piece]) -> list[_Piece]:
    """Drop invisible characters, fold homoglyphs, accents and emoji, lower-case."""
    out: list[_Piece] = []
    for ch, start, end in pieces:
        if ch.isascii():  # the common case: no invisible, homoglyph, accent or emoji to fold
            out.append((ch.lower(), start, end))
            continue
        if ch in _INVISIBLE or (unicodedata.category(ch) == "Cf"):
            continue
        if ch in _EMOJI:
            out.extend((c, start, end) for c in f" {_EMOJI[ch]} ")
            continue
        mapped = _HOMOGLYPHS.get(ch)
        if mapped is None:
            folded = unicodedata.normalize("NFKD", ch)
            # Keep base letters, drop combining marks ("é" -> "e", "k̶" -> "k").
            mapped = "".join(c for c in folded if not unicodedata.combining(c)) or ch
            if len(mapped) > 1 and not mapped.isascii():
                mapped = ch
        out.extend((c, start, end) for c in mapped.lower())
    return out


def _unleet(pieces: list[_Piece]) -> list[_Piece]:
    """Read digits and symbols inside words as the letters they imitate ("k1ll" -> "kill")."""
    text = _join(pieces)
    if _ANY_LEET.search(text) is None:
        return pieces
    protected = [False] * len(text)
    for match in itertools.chain(_POSTCODE.finditer(text), _PLACEHOLDER.finditer(text)):
        for i in range(match.start(), match.end()):
            protected[i] = True
    out = list(pieces)
    for match in _TOKEN.finditer(text):
        token = match.group()
        letters = sum(c.isalpha() for c in token)
        leet = [i for i, c in enumerate(token) if c in _LEET]
        if letters < 1 or not leet or _NUMBERISH.match(token):
            continue
        for i in leet:
            pos = match.start() + i
            if protected[pos]:
                continue
            # Compare with the already-decoded previous character, so runs like "sh07" decode fully.
            prev_alpha = i > 0 and out[pos - 1][0].isalpha()
            next_alpha = i + 1 < len(token) and (token[i + 1].isalpha() or token[i + 1] in _LEET)
            # A symbol at the end of a word is punctuation ("stop!"), unless a
            # letter precedes it and it is a digit ("di3" / "h0").
            if token[i] in "!|" and not (i + 1 < len(token) and token[i + 1].isalpha()):
                continue
            if token[i] == "$" and not (prev_alpha or next_alpha):
                continue
            if prev_alpha or (next_alpha and i + 1 < len(token) and token[i + 1].isalpha()):
                ch, start, end = out[pos]
                out[pos] = (_LEET[ch], start, end)
    return out


def _unspace(pieces: list[_Piece]) -> list[_Piece]:
    """Join letters spaced out to dodge word filters ("k i l l" -> "kill")."""
    text = _join(pieces)
    out: list[_Piece] = []
    last = 0
    for match in _SPACED.finditer(text):
        if sum(c.isalpha() for c in match.group()) < 2:
            continue
        out.extend(pieces[last : match.start()])
        out.extend(p for p in pieces[match.start() : match.end()] if p[0].isalnum())
        last = match.end()
    out.extend(pieces[last:])
    return out


def _unrepeat(pieces: list[_Piece]) -> list[_Piece]:
    """Shrink stretched letters ("diiiie" -> "die", "killlll" -> "kill")."""
    if _RUN_OF_THREE.search(_join(pieces)) is None:
        return pieces
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        ch = pieces[i][0]
        j = i
        while j < len(pieces) and pieces[j][0] == ch:
            j += 1
        run = j - i
        if run >= 3 and ch.isalpha():
            keep = 2 if ch in _DOUBLING else 1
            # The kept characters cover the whole stretched run in the original.
            for k in range(keep):
                start = pieces[i][1] if k == 0 else pieces[i + k][1]
                end = pieces[j - 1][2] if k == keep - 1 else pieces[i + k][2]
                out.append((ch, start, end))
        elif run >= 4 and not ch.isalnum() and not ch.isspace():
            out.extend(pieces[i : i + 3])
        else:
            out.extend(pieces[i:j])
        i = j
    return out


def _collapse_space(pieces: list[_Piece]) -> list[_Piece]:
    if _UNTIDY_SPACE.search(_join(pieces)) is None:  # single spaces only, none at either end
        return pieces
    out: list[_Piece] = []
    for piece in pieces:
        if piece[0].isspace():
            if not out or out[-1][0] == " ":
                continue
            out.append((" ", piece[1], piece[2]))
        else:
            out.append(piece)
    while out and out[-1][0] == " ":
        out.pop()
    return out


def normalise(text: str) -> Normalised:
    """Return `text` with obfuscation undone and a map back to original offsets.

    Steps, in order: URLs and @handles become placeholders; invisible
    characters go; homoglyphs, accents and threat emoji are folded; the text
    is lower-cased; spaced-out letters are joined; leetspeak inside words is
    read as letters; stretched letters are shrunk; whitespace is collapsed.
    """
    pieces = _pieces(text)
    pieces = _replace_matches(pieces, _URL, "url")
    pieces = _replace_matches(pieces, _HANDLE, "@user")
    pieces = _per_char(pieces)
    pieces = _unspace(pieces)
    pieces = _unleet(pieces)
    pieces = _unrepeat(pieces)
    pieces = _collapse_space(pieces)
    return Normalised(
        text=_join(pieces),
        starts=tuple(p[1] for p in pieces),
        ends=tuple(p[2] for p in pieces),
    )
