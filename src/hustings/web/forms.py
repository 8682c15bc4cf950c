"""Forms that come back with what was typed and a message beside the field at fault.

Domain errors name their field first (`policy_rule: rule N1 finds no breach...`), for the API and
the CLI. A page maps that name to the field of its form and shows the rest, in words, next to
it; an error naming no field of the form is shown above it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from hustings.errors import HustingsError
from hustings.moderation.events import Action
from hustings.moderation.status import ItemState
from hustings.referrals.model import Outcome

_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)
_CODES = frozenset({*(a.value for a in Action), *(s.value for s in ItemState), *(o.value for o in Outcome)})
_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def in_words(text: str) -> str:
    """The vocabulary's codes in a message (`no_action`, `appeal_decided`) as words; ids stay."""
    return _CODE.sub(lambda m: m.group(0).replace("_", " ") if m.group(0) in _CODES else m.group(0), text)


@dataclass(frozen=True, slots=True)
class FormErrors:
    """Messages for one form: by field name, and the rest for the top of the form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def form_errors(error: HustingsError, fields: Mapping[str, str]) -> FormErrors:
    """Where `error` goes on a form whose `fields` map an error's field name to the form's field
    name (`{"message_id": "message", "policy_rule": "policy_rule"}`). A field the form does not
    have makes the message general; either way it is in words, with no field name left in it."""
    text = str(error)
    found = _FIELD.match(text)
    if found is None:
        return FormErrors(general=in_words(text))
    name, message = found.group(1), in_words(found.group(2))
    message = message[:1].upper() + message[1:]
    if name in fields:
        return FormErrors(fields={fields[name]: message})
    return FormErrors(general=message)
