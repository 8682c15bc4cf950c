"""The platform referral's events and the pure reducer over them.

Subject type ``platform_referral`` (id from `model.referral_id`):

- ``platform_referral.sent``: the platform, channel, reference, messages, election and when it was
  sent (`Sent`); its key is ``platform_referral.sent:<id>``, so recording one referral twice is
  one referral.
- ``platform_referral.answered``: the platform's answer (`Answered`): acknowledged (perhaps
  with its reference), actioned (with what it did), declined (the event's reason is the
  platform's), or no answer (the team chased and heard nothing); ``at`` is when the platform
  answered, which may be before the answer was recorded.
- ``platform_referral.checked``: whether the content was still up when looked at (`Checked`).

Later keys are ``kind:subject:event_count``: two people recording different answers on the same
state at once cannot both succeed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

from hustings.clock import iso, parse_iso
from hustings.events.model import Event, Reducer, Status, initial_status
from hustings.platforms.model import (
    Answer,
    AnswerRecord,
    Channel,
    CheckRecord,
    ContentCheck,
    PlatformAction,
    PlatformReferral,
    PlatformReferralState,
)

SUBJECT = "platform_referral"

PLATFORM_REFERRAL_SENT = "platform_referral.sent"
PLATFORM_REFERRAL_ANSWERED = "platform_referral.answered"
PLATFORM_REFERRAL_CHECKED = "platform_referral.checked"
PLATFORM_REFERRAL_KINDS = (PLATFORM_REFERRAL_SENT, PLATFORM_REFERRAL_ANSWERED, PLATFORM_REFERRAL_CHECKED)

ANSWERED_STATES = {
    Answer.ACKNOWLEDGED: PlatformReferralState.ACKNOWLEDGED,
    Answer.ACTIONED: PlatformReferralState.ACTIONED,
    Answer.DECLINED: PlatformReferralState.DECLINED,
    Answer.NO_ANSWER: PlatformReferralState.NO_ANSWER,
}
DECIDED = frozenset({PlatformReferralState.ACTIONED, PlatformReferralState.DECLINED})


class Sent(TypedDict):
    platform: str
    channel: str
    reference: str
    message_ids: list[str]
    election_id: str | None
    sent_at: str


class Answered(TypedDict):
    answer: str
    at: str
    action: str | None
    reference: str


class Checked(TypedDict):
    result: str
    at: str


def sent_event(referral_id: str, payload: Sent, *, actor: str, at: datetime, reason: str) -> Event:
    return Event(
        kind=PLATFORM_REFERRAL_SENT,
        subject_type=SUBJECT,
        subject_id=referral_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{PLATFORM_REFERRAL_SENT}:{referral_id}",
        reason=reason,
        payload=dict(payload),
    )


def next_event(
    status: Status, kind: str, payload: Answered | Checked, *, actor: str, at: datetime, reason: str
) -> Event:
    return Event(
        kind=kind,
        subject_type=SUBJECT,
        subject_id=status.subject_id,
        actor=actor,
        occurred_at=at,
        idempotency_key=f"{kind}:{status.subject_id}:{status.event_count}",
        reason=reason,
        payload=dict(payload),
    )


def reduce_platform_referral(status: Status | None, event: Event) -> Status:
    payload = event.payload
    if event.kind == PLATFORM_REFERRAL_SENT:
        before = status or initial_status(event, PlatformReferralState.SENT)
        return before.evolve(
            state=PlatformReferralState.SENT.value,
            category=str(payload["platform"]),
            data={
                **payload,
                "sent_by": event.actor,
                "reason": event.reason,
                "answers": [],
                "checks": [],
                "action": None,
            },
        )
    if status is None:
        raise ValueError(f"{event.kind} before {PLATFORM_REFERRAL_SENT} on {event.subject_id!r}")
    data: dict[str, Any] = dict(status.data)
    if event.kind == PLATFORM_REFERRAL_ANSWERED:
        answer = Answer(payload["answer"])
        data["answers"] = [
            *data.get("answers", []),
            {**payload, "actor": event.actor, "recorded_at": iso(event.occurred_at), "reason": event.reason},
        ]
        if payload.get("reference"):
            data["reference"] = payload["reference"]
        state = PlatformReferralState(status.state)
        new_state = ANSWERED_STATES[answer]
        # An acknowledgement or a silence after a decision does not undo it; a new decision does.
        if answer is Answer.ACTIONED or answer is Answer.DECLINED or state not in DECIDED:
            state = new_state
        if answer is Answer.ACTIONED:
            data["action"] = payload.get("action")
        return status.evolve(state=state.value, data=data)
    if event.kind == PLATFORM_REFERRAL_CHECKED:
        data["checks"] = [*data.get("checks", []), {**payload, "actor": event.actor, "reason": event.reason}]
        return status.evolve(data=data)
    raise ValueError(f"unknown platform referral event {event.kind!r}")


REDUCERS: dict[str, Reducer] = {SUBJECT: reduce_platform_referral}


def referral_from_status(status: Status) -> PlatformReferral:
    data = status.data
    action = data.get("action")
    return PlatformReferral(
        id=status.subject_id,
        platform=str(data["platform"]),
        channel=Channel(data["channel"]),
        message_ids=tuple(str(m) for m in data["message_ids"]),
        reference=str(data.get("reference") or ""),
        election_id=data.get("election_id"),
        sent_at=_time(data["sent_at"]),
        sent_by=str(data.get("sent_by", "")),
        state=PlatformReferralState(status.state),
        action=PlatformAction(action) if action else None,
        reason=str(data.get("reason", "")),
        answers=tuple(
            AnswerRecord(
                answer=Answer(a["answer"]),
                at=_time(a["at"]),
                actor=str(a["actor"]),
                recorded_at=_time(a["recorded_at"]),
                action=PlatformAction(a["action"]) if a.get("action") else None,
                reference=str(a.get("reference") or ""),
                reason=str(a.get("reason", "")),
            )
            for a in data.get("answers", [])
        ),
        checks=tuple(
            CheckRecord(
                result=ContentCheck(c["result"]),
                at=_time(c["at"]),
                actor=str(c["actor"]),
                reason=str(c.get("reason", "")),
            )
            for c in data.get("checks", [])
        ),
    )


def _time(value: str) -> datetime:
    moment = parse_iso(value)
    assert moment is not None  # the reducer always writes these
    return moment
