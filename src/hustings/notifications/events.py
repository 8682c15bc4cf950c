"""The notification vocabulary: events on ``notification`` subjects and the pure reducer over them.

One subject per recipient and cause: its id is the user id and a digest of the cause's key (the
key of the event it tells of, or ``clock.soon:<message>:<due>``), so each cause notifies each
person once however often the sweep sees it. Its status is the person's inbox row (``assignee``
is the recipient, state ``unread`` or ``read``) and the e-mail outbox row at once: ``due_at`` is
when an e-mail is next to be tried, cleared once it is sent or given up.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hustings.clock import iso
from hustings.events import Event, Status
from hustings.events.model import initial_status

SUBJECT = "notification"

NOTIFICATION_RAISED = "notification.raised"
NOTIFICATION_READ = "notification.read"
NOTIFICATION_EMAILED = "notification.emailed"
NOTIFICATION_EMAIL_FAILED = "notification.email_failed"

EMAIL_ATTEMPTS = 5
"""After this many failed tries an e-mail is given up (the notification stays in the app)."""
RETRY_AFTER = timedelta(minutes=5)


class Cause(StrEnum):
    CLOCK_SOON = "clock_soon"
    """An open item's statutory clock runs out soon."""
    INCIDENT_OPENED = "incident_opened"
    """A pile-on against a protected person began."""
    OUTCOME_DECIDED = "outcome_decided"
    """A decision (or an appeal's) was taken on something the person reported."""
    REFERRAL_UPDATED = "referral_updated"
    """The police status or the outcome of a police referral was recorded."""
    COMPLAINT_COMMUNICATED = "complaint_communicated"
    """A party complaint's team wrote to a party (who has no account): by e-mail only."""


ADDRESS_UNLOGGED = frozenset({Cause.COMPLAINT_COMMUNICATED})
"""Causes whose e-mail address is not written into the log when sent: a complaint's party's
address is personal data kept sealed with the case, so that erasing the case erases it."""


class NotificationState(StrEnum):
    UNREAD = "unread"
    READ = "read"


def notification_id(user_id: str, cause_key: str) -> str:
    return f"{user_id}:{hashlib.sha256(cause_key.encode()).hexdigest()[:32]}"


def raised(
    user_id: str,
    *,
    cause: Cause,
    cause_key: str,
    title: str,
    link: str,
    email: bool,
    at: datetime,
) -> Event:
    subject_id = notification_id(user_id, cause_key)
    return Event(
        kind=NOTIFICATION_RAISED,
        subject_type=SUBJECT,
        subject_id=subject_id,
        actor="system",
        occurred_at=at,
        idempotency_key=f"{NOTIFICATION_RAISED}:{subject_id}",
        payload={
            "user_id": user_id,
            "cause": cause.value,
            "cause_key": cause_key,
            "title": title,
            "link": link,
            "email": email,
        },
    )


def reduce_notification(status: Status | None, event: Event) -> Status:
    """Fold one event into a notification's status. Pure: no storage, no clock."""
    current = status or initial_status(event, state=NotificationState.UNREAD.value)
    data: dict[str, Any] = dict(current.data)
    payload = event.payload
    if event.kind == NOTIFICATION_RAISED:
        data.update(
            cause=payload["cause"],
            cause_key=payload["cause_key"],
            title=payload["title"],
            link=payload["link"],
            raised_at=iso(event.occurred_at),
            email="pending" if payload.get("email") else "none",
            attempts=0,
        )
        return current.evolve(
            state=NotificationState.UNREAD.value,
            data=data,
            assignee=str(payload["user_id"]),
            category=str(payload["cause"]),
            due_at=event.occurred_at if payload.get("email") else None,
        )
    if event.kind == NOTIFICATION_READ:
        data.update(read_at=iso(event.occurred_at))
        return current.evolve(state=NotificationState.READ.value, data=data)
    if event.kind == NOTIFICATION_EMAILED:
        data.update(email="sent", emailed_at=iso(event.occurred_at), emailed_to=payload.get("to"))
        return current.evolve(data=data, due_at=None)
    if event.kind == NOTIFICATION_EMAIL_FAILED:
        attempts = int(data.get("attempts", 0)) + 1
        gave_up = attempts >= EMAIL_ATTEMPTS
        data.update(
            attempts=attempts, email="failed" if gave_up else "pending", email_error=payload.get("error")
        )
        due = None if gave_up else event.occurred_at + RETRY_AFTER * attempts
        return current.evolve(data=data, due_at=due)
    raise ValueError(f"notification subjects do not take events of kind {event.kind!r}")


REDUCERS = {SUBJECT: reduce_notification}
