"""Spelling obfuscation used to augment hostile training rows.

The runtime normaliser undoes leetspeak, homoglyphs, zero-width characters,
spaced letters and stretched letters; what it cannot undo (dropped, swapped or
added letters, words run together, a space inside a word) the encoder has to
learn, so those are the tricks applied most often here.
"""

from __future__ import annotations

import random
import re
from typing import Any

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_HOMOGLYPH = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "i": "і", "x": "х", "y": "у"}


def _words(text: str) -> list[re.Match[str]]:
    return list(re.finditer(r"[A-Za-z]{4,}", text))


def obfuscate_text(text: str, rng: random.Random) -> str:
    """Apply one random obfuscation to one random word of at least four letters."""
    words = _words(text)
    if not words:
        return text
    match = rng.choice(words)
    word = match.group()
    i = rng.randrange(1, len(word) - 1)
    trick = rng.choice(["drop", "swap", "double", "space", "join", "leet", "homoglyph", "zwsp", "spaced", "stretch"])
    if trick == "drop":
        new = word[:i] + word[i + 1 :]
    elif trick == "swap":
        new = word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    elif trick == "double":
        new = word[:i] + word[i] + word[i:]
    elif trick == "space":
        new = word[:i] + " " + word[i:]
    elif trick == "join":
        end = match.end()
        if end < len(text) and text[end] == " ":
            return text[:end] + text[end + 1 :]
        new = word
    elif trick == "leet":
        new = "".join(_LEET.get(c, c) if rng.random() < 0.6 else c for c in word)
    elif trick == "homoglyph":
        new = "".join(_HOMOGLYPH.get(c, c) for c in word)
    elif trick == "zwsp":
        new = word[:i] + "\u200b" + word[i:]
    elif trick == "spaced":
        new = " ".join(word)
    else:
        new = word[:i] + word[i] * rng.randint(3, 6) + word[i + 1 :]
    return text[: match.start()] + new + text[match.end() :]


def obfuscate(row: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of a training row with its text obfuscated and the same labels."""
    return {**row, "text": obfuscate_text(row["text"], rng), "source": f"{row['source']}+noise"}
