"""DSA export: every decision that restricts something, as a statement of reasons in JSON Lines,
with the field names and enumerations of the EU DSA Transparency Database API.

The statement model and its validation are moderation's (`hustings.moderation.reasons`); this
module only reads `decision.made` events from the log and re-validates what they carry, so a
statement that was valid when written but breaks the rules now is refused, not exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from hustings.errors import InvalidInput
from hustings.events import Event
from hustings.moderation.events import APPEAL_DECIDED, DECISION_MADE, Action
from hustings.moderation.reasons import dsa_puid, parse_statement, statement_required


@dataclass
class DsaExport:
    """The JSON Lines of an export, what was left out because it restricts nothing, and refusals."""

    lines: list[str] = field(default_factory=list)
    no_statement: int = 0
    refused: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)


def _needs_statement(action: str) -> bool:
    try:
        return statement_required(Action(action))
    except ValueError:
        return True  # an unknown action is exported, and so validated, rather than silently dropped


def dsa_export(events: Iterable[Event], *, strict: bool = True) -> DsaExport:
    """Statements of reasons from `decision.made` and reversing `appeal.decided` events, in log order.

    `no_action` decisions restrict nothing and have no statement: they are counted, not exported;
    nor is an upheld appeal (the decision it upholds has its statement). A `puid` written before
    the database's pattern was applied (`d_…:m_…`) is exported with `-` for the `:`, the same
    `puid` every time, so a resubmission is still recognised.
    An invalid statement raises `InvalidInput` naming the decision and the field at fault, or
    with `strict=False` is listed in `refused` and the rest are exported.
    """
    export = DsaExport()
    for event in events:
        if event.kind == APPEAL_DECIDED:
            if event.payload.get("outcome") != "reversed":
                continue
            action = str(event.payload.get("new_action", ""))
        elif event.kind == DECISION_MADE:
            action = str(event.payload.get("action", ""))
        else:
            continue
        if not _needs_statement(action):
            export.no_statement += 1
            continue
        what = (
            f"appeal {event.payload.get('appeal_id', '?')}"
            if event.kind == APPEAL_DECIDED
            else f"decision {event.payload.get('decision_id', '?')}"
        )
        where = f"{what} on {event.subject_type} {event.subject_id}"
        raw = event.payload.get("statement")
        try:
            if not isinstance(raw, dict) or not raw:
                raise InvalidInput(f"statement: missing, but a {action!r} decision needs one")
            fields = dict(raw)
            if isinstance(fields.get("puid"), str):
                fields["puid"] = dsa_puid(fields["puid"])
            statement = parse_statement(fields)
        except InvalidInput as error:
            message = f"{where}: {error}"
            if strict:
                raise InvalidInput(message) from None
            export.refused.append(message)
            continue
        export.lines.append(json.dumps(statement.to_dsa_json(), ensure_ascii=False, sort_keys=True))
    return export
