"""The platform referral vocabulary: platforms, channels, answers and what a referral is now.

A platform referral is a trusted flag sent to the platform where content lives (X, Meta,
YouTube, TikTok, Bluesky, a Mastodon server...): one or many messages, through a named channel,
with the platform's reference, optionally for an election. The platform's answers are recorded
as they come, and the figures of `hustings.platforms.figures` measure them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from hustings.auth.model import Role
from hustings.errors import InvalidInput

KNOWN_PLATFORMS = ("X", "Meta", "YouTube", "TikTok", "Bluesky", "Reddit", "Telegram")
"""Platforms offered by name; anything else (a Mastodon server, a forum) is free text."""

PLATFORM_OF_SOURCE = {
    "x": "X",
    "bluesky": "Bluesky",
    "facebook": "Meta",
    "instagram": "Meta",
    "youtube": "YouTube",
    "tiktok": "TikTok",
}
"""The platform a message's source most likely lives on, to pre-fill a referral from it."""

MAX_MESSAGES = 200

REFERRERS = frozenset({Role.ADMIN, Role.MODERATOR, Role.TRIAGE, Role.FLAGGER})
"""Who may refer to a platform and record its answers: the staff working items and the election team."""
READERS = REFERRERS | {Role.ANALYST}
"""Who may read platform referrals and their figures."""


class Channel(StrEnum):
    """How the referral reached the platform."""

    TRUSTED_FLAGGER_PORTAL = "trusted_flagger_portal"
    EMAIL = "email"
    API = "api"
    IN_APP_REPORT = "in_app_report"


class PlatformReferralState(StrEnum):
    """Where a referral stands on the platform's side."""

    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ACTIONED = "actioned"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class Answer(StrEnum):
    """What the platform answered (`no_answer`: the team recorded that it has heard nothing)."""

    ACKNOWLEDGED = "acknowledged"
    ACTIONED = "actioned"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class PlatformAction(StrEnum):
    """What a platform did, when it acted."""

    REMOVED = "removed"
    RESTRICTED = "restricted"
    ACCOUNT_SUSPENDED = "account_suspended"


class ContentCheck(StrEnum):
    """Whether the content was still up when someone looked."""

    UP = "up"
    DOWN = "down"


def platform_name(text: str) -> str:
    """A known platform in its own spelling (``x`` is ``X``), or the free text, trimmed."""
    value = " ".join(text.split())
    if not value:
        raise InvalidInput(
            "platform: name the platform (X, Meta, YouTube, TikTok, Bluesky, a Mastodon server...)"
        )
    if len(value) > 100:
        raise InvalidInput("platform: at most 100 characters")
    for known in KNOWN_PLATFORMS:
        if known.casefold() == value.casefold():
            return known
    return value


def referral_id(
    platform: str, channel: Channel, reference: str, message_ids: Sequence[str], election_id: str | None
) -> str:
    """The same messages sent to the same platform, the same way, under the same reference, are one referral."""
    parts = [platform.casefold(), channel.value, reference, election_id or "", *sorted(message_ids)]
    return "pr_" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class PlatformReferralDraft:
    """What the team says when it refers: which messages, to whom, how, and the platform's reference."""

    platform: str
    channel: Channel
    message_ids: tuple[str, ...]
    reference: str = ""
    election_id: str | None = None
    sent_at: datetime | None = None
    """When it was sent, if before it was recorded; now when None."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer as recorded: what, when the platform gave it, by whom it was recorded, and why."""

    answer: Answer
    at: datetime
    actor: str
    recorded_at: datetime
    action: PlatformAction | None = None
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CheckRecord:
    """One look at whether the content is still up."""

    result: ContentCheck
    at: datetime
    actor: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlatformReferral:
    """A platform referral as its events leave it."""

    id: str
    platform: str
    channel: Channel
    message_ids: tuple[str, ...]
    reference: str
    election_id: str | None
    sent_at: datetime
    sent_by: str
    state: PlatformReferralState
    action: PlatformAction | None
    answers: tuple[AnswerRecord, ...]
    checks: tuple[CheckRecord, ...]
    reason: str = ""

    @property
    def first_answer_at(self) -> datetime | None:
        """When the platform first answered (an acknowledgement, action or refusal)."""
        times = [a.at for a in self.answers if a.answer is not Answer.NO_ANSWER]
        return min(times) if times else None

    @property
    def actioned_at(self) -> datetime | None:
        times = [a.at for a in self.answers if a.answer is Answer.ACTIONED]
        return min(times) if times else None

    @property
    def declined_reason(self) -> str:
        declined = [a for a in self.answers if a.answer is Answer.DECLINED]
        return declined[-1].reason if declined else ""

    @property
    def last_check(self) -> CheckRecord | None:
        return self.checks[-1] if self.checks else None
