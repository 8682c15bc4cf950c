"""What reaches the safe inbox: one pure decision per message and target.

In order: a blocked or muted sender, or a hidden word, hides the message (it goes to the
"hidden" folder); then, while the shield is on, a new account, an unknown account or a message
over the target's hostility threshold is held for review; with "only accounts I know", an
unknown account is held too. Everything else is delivered, and a hostile message that is
delivered is blurred in the inbox until revealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hustings.detect.assessment import Label
from hustings.events.model import Status
from hustings.messages.model import Message
from hustings.protection.accounts import has_low_followers, is_new_account
from hustings.protection.controls import Controls, author_key_of, find_hidden_words
from hustings.protection.events import DeliveryState

INBOX_FOLDERS: dict[str, tuple[DeliveryState, ...]] = {
    "inbox": (DeliveryState.DELIVERED, DeliveryState.RELEASED),
    "held": (DeliveryState.HELD,),
    "hidden": (DeliveryState.HIDDEN,),
}
"""The safe inbox's folders, and the delivery states each shows."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a message was hidden, held or blurred: a stable code and words for the person."""

    code: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Verdict:
    state: DeliveryState
    why: tuple[Reason, ...]
    hostile: tuple[Label, ...]
    shielded: bool
    """True when the shield (not a standing control) held it: these make up the recap."""


def decide(
    message: Message,
    *,
    hostile: Sequence[Label],
    controls: Controls,
    shield_on: bool,
    known: bool,
    at: datetime | None = None,
) -> Verdict:
    """Where one message goes for one target. `hostile` is already at the target's sensitivity."""
    at = at or message.created_at
    labels = tuple(hostile)
    key = author_key_of(message.author)
    hidden: list[Reason] = []
    if key in controls.blocked:
        hidden.append(Reason("blocked", f"@{message.author.handle.lstrip('@')} is on your block list"))
    if key in controls.muted:
        hidden.append(Reason("muted", f"@{message.author.handle.lstrip('@')} is on your mute list"))
    for match in find_hidden_words(message.text, controls.hidden_words):
        hidden.append(Reason("hidden_word", f"contains the hidden word {match.word!r}"))
    if hidden:
        return Verdict(DeliveryState.HIDDEN, tuple(hidden), labels, shielded=False)
    if shield_on:
        held: list[Reason] = []
        if labels:
            held.append(Reason("shield_hostile", "over your hostility threshold: " + ", ".join(labels)))
        if is_new_account(message.author, at):
            held.append(Reason("shield_new_account", "sent from an account less than 30 days old"))
        elif has_low_followers(message.author):
            held.append(Reason("shield_low_followers", "sent from an account with few followers"))
        if not known:
            held.append(
                Reason("shield_unknown_account", "from an account that has not written to you before")
            )
        if held:
            return Verdict(DeliveryState.HELD, tuple(held), labels, shielded=True)
    if controls.only_known and not known:
        return Verdict(
            DeliveryState.HELD,
            (Reason("unknown_account", "only accounts you know reach your inbox"),),
            labels,
            False,
        )
    why = (Reason("hostile", "may be hostile: " + ", ".join(labels)),) if labels else ()
    return Verdict(DeliveryState.DELIVERED, why, labels, shielded=False)


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One message in a folder of a target's safe inbox, with what the inbox did with it."""

    message: Message
    delivery: Status

    @property
    def state(self) -> str:
        return self.delivery.state

    @property
    def hostile(self) -> list[str]:
        """The labels over the target's sensitivity."""
        return list(self.delivery.data.get("hostile", []))

    @property
    def why(self) -> list[dict[str, str]]:
        return list(self.delivery.data.get("why", []))

    @property
    def incident_id(self) -> str | None:
        found = self.delivery.data.get("incident_id")
        return None if found is None else str(found)

    @property
    def blurred(self) -> bool:
        """Hostile, held or hidden: shown blurred until the reader chooses to see it."""
        return bool(self.hostile) or self.state in (DeliveryState.HELD, DeliveryState.HIDDEN)
