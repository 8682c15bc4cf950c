"""What reaches the safe inbox: one pure decision per message and target.

In order: a blocked or muted sender, or a hidden word, hides the message (it goes to the
"hidden" folder); then, while the shield is on, a new account, an unknown account or a message
over the target's hostility threshold is held for review; with "only accounts I know", an
unknown account is held too. Everything else is delivered.

A hostile, held or hidden message is *masked*: its text is not sent to the browser until the
person chooses to see it (one message at a time, or a whole folder they chose to see in full);
in its place they read its label and a neutral summary (`summary`). How each person likes to see
hostile content (greyscale, images hidden, one at a time) is their `Viewing`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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


def hiding_reasons(message: Message, controls: Controls) -> list[Reason]:
    """Why the block list, the mute list or a hidden word hides this message (empty: none does).

    The same test sorts a new message (`decide`) and moves earlier ones when a control is added."""
    key = author_key_of(message.author)
    handle = message.author.handle.lstrip("@")
    hidden: list[Reason] = []
    if key in controls.blocked:
        hidden.append(Reason("blocked", f"@{handle} is on your block list"))
    if key in controls.muted:
        hidden.append(Reason("muted", f"@{handle} is on your mute list"))
    for match in find_hidden_words(message.text, controls.hidden_words):
        hidden.append(Reason("hidden_word", f"contains the hidden word {match.word!r}"))
    return hidden


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
    hidden = hiding_reasons(message, controls)
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
    def masked(self) -> bool:
        """Hostile, held or hidden: its text stays off the page until the reader chooses to see it."""
        return bool(self.hostile) or self.state in (DeliveryState.HELD, DeliveryState.HIDDEN)

    def summary(self, now: datetime) -> str:
        """What the reader sees in place of a masked message: its label, how long ago, and who
        sent it, never its words ("Flagged as threat · 2 hours ago · from @x")."""
        if self.hostile:
            label = "Flagged as " + ", ".join(label.replace("_", " ") for label in self.hostile)
        elif self.state == DeliveryState.HIDDEN:
            label = "Hidden"
        else:
            label = "Held for review"
        handle = self.message.author.handle.lstrip("@")
        return f"{label} · {ago(self.message.created_at, now)} · from @{handle}"


def ago(then: datetime, now: datetime) -> str:
    """How long before `now` a message was sent, in rounded words ("just now", "3 days ago")."""
    seconds = int((now - then).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in (
        (86_400 * 365, "year"),
        (86_400 * 30, "month"),
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"  # pragma: no cover - the loop ends at a minute


_IMAGE_LINK = re.compile(
    r"https?://\S+?\.(?:jpe?g|png|gif|webp|avif|heic|bmp)(?:\?\S*)?(?=$|[\s)\]}>,;.!?])", re.I
)


def without_image_links(text: str) -> str:
    """The text with every link to an image replaced by "[image hidden]" (for "hide images")."""
    return _IMAGE_LINK.sub("[image hidden]", text)


@dataclass(frozen=True, slots=True)
class Viewing:
    """How one person likes hostile content shown to them: the `viewing` subject's status.

    `greyscale` shows revealed messages without colour; `hide_images` replaces links to images
    in revealed text; `one_at_a_time` keeps at most one message revealed (revealing another masks
    the last again) and overrides `show_all`, the folders (``"{target_id}:{folder}"``) the person
    chose to see in full.
    """

    user_id: str
    greyscale: bool = False
    hide_images: bool = False
    one_at_a_time: bool = False
    show_all: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_status(cls, user_id: str, status: Status | None) -> Viewing:
        data: Mapping[str, Any] = status.data if status is not None else {}
        return cls(
            user_id=user_id,
            greyscale=bool(data.get("greyscale", False)),
            hide_images=bool(data.get("hide_images", False)),
            one_at_a_time=bool(data.get("one_at_a_time", False)),
            show_all=frozenset(key for key, on in dict(data.get("show_all", {})).items() if on),
        )

    def shows_all(self, target_id: str, folder: str) -> bool:
        """Whether this person sees every message in the folder without revealing each one."""
        return not self.one_at_a_time and f"{target_id}:{folder}" in self.show_all

    def shown_text(self, text: str) -> str:
        return without_image_links(text) if self.hide_images else text
