"""`PlatformReferrals`: refer messages to a platform, record its answers, measure its response.

Built by `hustings.services.Services` over a `PlatformReferralStore` (SQL in
`hustings.storage.platforms`, in memory in `hustings.platforms.memory`), the event log and the
clock. Every change is an event of `hustings.platforms.events` appended in the caller's
transaction; nothing here commits. Writes are idempotent: referring the same messages the same
way twice is one referral, and recording the answer or check a referral last took, again, appends
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hustings.clock import Clock, as_utc, iso
from hustings.errors import InvalidInput, NotFound
from hustings.events import Event, EventLog, Status
from hustings.platforms.events import (
    PLATFORM_REFERRAL_ANSWERED,
    PLATFORM_REFERRAL_CHECKED,
    Answered,
    Checked,
    Sent,
    next_event,
    referral_from_status,
    sent_event,
)
from hustings.platforms.figures import PlatformResponse, platform_response
from hustings.platforms.model import (
    KNOWN_PLATFORMS,
    MAX_MESSAGES,
    PLATFORM_OF_SOURCE,
    Answer,
    Channel,
    ContentCheck,
    PlatformAction,
    PlatformReferral,
    PlatformReferralDraft,
    platform_name,
    referral_id,
)


class PlatformReferralStore(Protocol):
    """What `PlatformReferrals` needs from storage beyond the log. Implementations never commit."""

    def missing_messages(self, message_ids: Sequence[str]) -> list[str]:
        """The ids among `message_ids` that name no stored message, in the order given."""
        ...

    def election_exists(self, election_id: str) -> bool: ...

    def election_ids(self) -> list[str]:
        """Every election's id (in reverse order of id), for a referral to name."""
        ...

    def referral(self, referral_id: str) -> Status | None: ...

    def referrals(self, *, limit: int, election_id: str | None = None) -> list[Status]:
        """Platform referrals, the latest change first."""
        ...

    def referral_events(self, referral_id: str) -> list[Event]: ...

    def response_events(self, *, until: datetime | None = None) -> list[Event]:
        """Every platform referral event (recorded by `until`, if given), in log order."""
        ...


@dataclass(frozen=True, slots=True)
class AnswerDraft:
    """A platform's answer as the team records it."""

    answer: Answer
    at: datetime | None = None
    """When the platform answered; now when None."""
    action: PlatformAction | None = None
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReferralPrefill:
    """What the "Refer to platform" form on a message starts with."""

    message_id: str
    platform: str
    """The platform the message's source suggests ("" when it suggests none)."""
    platforms: tuple[str, ...]
    channels: tuple[Channel, ...]
    election_ids: tuple[str, ...]
    referrals: tuple[PlatformReferral, ...]
    """The referrals that already sent this message."""


class PlatformReferrals:
    def __init__(self, store: PlatformReferralStore, log: EventLog, clock: Clock) -> None:
        self.store = store
        self.log = log
        self.clock = clock

    def get(self, referral_id: str) -> PlatformReferral:
        status = self.store.referral(referral_id)
        if status is None:
            raise NotFound(f"platform referral {referral_id!r} does not exist")
        return referral_from_status(status)

    def all(self, *, limit: int = 500, election_id: str | None = None) -> list[PlatformReferral]:
        return [referral_from_status(s) for s in self.store.referrals(limit=limit, election_id=election_id)]

    def of_message(self, message_id: str, *, limit: int = 500) -> list[PlatformReferral]:
        """The referrals that sent this message."""
        return [r for r in self.all(limit=limit) if message_id in r.message_ids]

    def prefill(self, message_id: str, source: str) -> ReferralPrefill:
        """The referral form for one message, its platform guessed from the message's source."""
        return ReferralPrefill(
            message_id=message_id,
            platform=PLATFORM_OF_SOURCE.get(source, ""),
            platforms=KNOWN_PLATFORMS,
            channels=tuple(Channel),
            election_ids=tuple(self.store.election_ids()),
            referrals=tuple(self.of_message(message_id)),
        )

    def history(self, referral_id: str) -> list[Event]:
        self.get(referral_id)
        return self.store.referral_events(referral_id)

    def refer(self, draft: PlatformReferralDraft, *, actor: str) -> PlatformReferral:
        """Record that these messages were sent to the platform; the same referral twice is one."""
        platform = platform_name(draft.platform)
        message_ids = tuple(dict.fromkeys(m.strip() for m in draft.message_ids if m.strip()))
        if not message_ids:
            raise InvalidInput("message_ids: name at least one message")
        if len(message_ids) > MAX_MESSAGES:
            raise InvalidInput(f"message_ids: at most {MAX_MESSAGES} messages in one referral")
        missing = self.store.missing_messages(message_ids)
        if missing:
            raise NotFound(f"message_ids: no message {missing[0]!r}")
        reference = draft.reference.strip()
        if len(reference) > 200:
            raise InvalidInput("reference: at most 200 characters")
        election_id = (draft.election_id or "").strip() or None
        if election_id is not None and not self.store.election_exists(election_id):
            raise NotFound(f"election_id: no election {election_id!r}")
        now = self.clock.now()
        sent_at = self._moment(draft.sent_at, now, "sent_at")
        rid = referral_id(platform, draft.channel, reference, message_ids, election_id)
        found = self.store.referral(rid)
        if found is not None:
            return referral_from_status(found)
        payload = Sent(
            platform=platform,
            channel=draft.channel.value,
            reference=reference,
            message_ids=list(message_ids),
            election_id=election_id,
            sent_at=iso(sent_at) or "",
        )
        self.log.append_many([sent_event(rid, payload, actor=actor, at=now, reason=draft.reason)])
        return self.get(rid)

    def answer(self, referral_id: str, draft: AnswerDraft, *, actor: str) -> PlatformReferral:
        """Record the platform's answer; the referral's last answer again appends nothing."""
        referral = self.get(referral_id)
        if draft.answer is Answer.ACTIONED and draft.action is None:
            raise InvalidInput("action: say what the platform did (removed, restricted, account_suspended)")
        if draft.answer is not Answer.ACTIONED and draft.action is not None:
            raise InvalidInput(f"action: only an actioned answer has an action, not {draft.answer.value}")
        if draft.answer is Answer.DECLINED and not draft.reason.strip():
            raise InvalidInput("reason: give the platform's reason for declining")
        now = self.clock.now()
        at = self._moment(draft.at, now, "at")
        if at < referral.sent_at:
            raise InvalidInput(
                f"at: {at.isoformat()} is before the referral was sent ({referral.sent_at.isoformat()})"
            )
        reference = draft.reference.strip()
        last = referral.answers[-1] if referral.answers else None
        if last is not None and (last.answer, last.at, last.action, last.reference, last.reason) == (
            draft.answer,
            at,
            draft.action,
            reference,
            draft.reason,
        ):
            return referral
        payload = Answered(
            answer=draft.answer.value,
            at=iso(at) or "",
            action=draft.action.value if draft.action else None,
            reference=reference,
        )
        return self._append(
            referral_id, PLATFORM_REFERRAL_ANSWERED, payload, actor=actor, reason=draft.reason
        )

    def check(
        self,
        referral_id: str,
        result: ContentCheck,
        *,
        actor: str,
        at: datetime | None = None,
        reason: str = "",
    ) -> PlatformReferral:
        """Record whether the content was still up when looked at."""
        referral = self.get(referral_id)
        at = self._moment(at, self.clock.now(), "at")
        last = referral.last_check
        if last is not None and (last.result, last.at, last.reason) == (result, at, reason):
            return referral
        payload = Checked(result=result.value, at=iso(at) or "")
        return self._append(referral_id, PLATFORM_REFERRAL_CHECKED, payload, actor=actor, reason=reason)

    def response(
        self,
        *,
        as_of: datetime | None = None,
        sent_from: datetime | None = None,
        sent_before: datetime | None = None,
        election_id: str | None = None,
    ) -> PlatformResponse:
        """The platforms' measured response (see `hustings.platforms.figures`), as of now by default."""
        moment = as_of or self.clock.now()
        return platform_response(
            self.store.response_events(until=moment),
            as_of=moment,
            sent_from=sent_from,
            sent_before=sent_before,
            election_id=election_id,
        )

    def _append(
        self, referral_id: str, kind: str, payload: Answered | Checked, *, actor: str, reason: str
    ) -> PlatformReferral:
        status = self.store.referral(referral_id)
        assert status is not None  # read by the caller in this transaction
        event = next_event(status, kind, payload, actor=actor, at=self.clock.now(), reason=reason)
        return referral_from_status(self.log.append(event))

    @staticmethod
    def _moment(given: datetime | None, now: datetime, field: str) -> datetime:
        if given is None:
            return as_utc(now)
        try:
            moment = as_utc(given)
        except OverflowError:
            raise InvalidInput(f"{field}: {given.isoformat()} is out of range") from None
        if moment > as_utc(now):
            raise InvalidInput(f"{field}: {moment.isoformat()} is in the future")
        return moment
