"""A failure shown next to the form field it is about, in words, with what was typed kept.

Domain errors name their field first (``"word: must be 1 to 100 characters"``); a page splits
that into the field (to place the message beside it) and the words (to show the person).
"""

from __future__ import annotations

from dataclasses import dataclass

from hustings.errors import HustingsError


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    """The form field at fault, or "" where the error is about the form as a whole."""
    words: str

    def on(self, field: str) -> str:
        """The words, if this error is about `field`; "" otherwise (for a template)."""
        return self.words if self.field == field else ""


def field_error(failure: HustingsError, fields: tuple[str, ...]) -> FieldError:
    """Place `failure` on one of the form's `fields` where its message names one."""
    text = str(failure)
    name, sep, rest = text.partition(": ")
    if sep and name in fields:
        return FieldError(name, rest[:1].upper() + rest[1:])
    return FieldError("", text)
