"""Notifications as one service: who is told of what, in the app and by e-mail.

`Notifications.sweep` runs on the sweep's schedule (`hustings.web.sweep`), never in a request: it
looks for causes (an open item whose clock runs out within `lookahead`; an incident opened, a
decision or an appeal decided within `lookback`) and raises one ``notification.raised`` per
recipient and cause, so a cause seen by many sweeps notifies each person once. `deliver` then
works the e-mail outbox (statuses whose ``due_at`` has come), one e-mail per notification,
recording each as sent or failed; a failure is retried later and given up after
`EMAIL_ATTEMPTS`. An e-mail is recorded after the server took it, so a crash between the two
can send one twice, never none. E-mails name the cause and link to the page; they carry no
message text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from hustings.auth.model import Role, User
from hustings.clock import Clock
from hustings.errors import NotFound
from hustings.events import Event, EventLog, Status
from hustings.moderation.events import APPEAL_DECIDED, DECISION_MADE
from hustings.notifications.events import (
    ADDRESS_UNLOGGED,
    NOTIFICATION_EMAIL_FAILED,
    NOTIFICATION_EMAILED,
    NOTIFICATION_READ,
    SUBJECT,
    Cause,
    NotificationState,
    notification_id,
    raised,
)
from hustings.notifications.mail import Mailer
from hustings.protection.events import INCIDENT_OPENED
from hustings.referrals.model import REFERRAL_OUTCOME, REFERRAL_STATUS_UPDATED
from hustings.wording import plain, when

CAUSE_KINDS = (INCIDENT_OPENED, DECISION_MADE, APPEAL_DECIDED, REFERRAL_STATUS_UPDATED, REFERRAL_OUTCOME)


class NotificationStore(Protocol):
    """What notifications read besides the event log. Never commits."""

    def events_since(self, kinds: Sequence[str], since: datetime, limit: int) -> list[Event]:
        """Events of `kinds` that occurred at or after `since`, oldest first."""
        ...

    def items_due_between(self, start: datetime, end: datetime, limit: int) -> list[Status]:
        """Open moderation items whose clock runs out after `start` and by `end`."""
        ...

    def status(self, subject_type: str, subject_id: str) -> Status | None: ...

    def inbox(self, user_id: str, limit: int) -> list[Status]:
        """The user's notifications, newest first."""
        ...

    def unread_count(self, user_id: str) -> int: ...

    def emails_due(self, now: datetime, limit: int) -> list[Status]: ...

    def users(self) -> list[User]: ...


@dataclass(frozen=True, slots=True)
class Notification:
    id: str
    cause: str
    title: str
    link: str
    raised_at: str
    unread: bool
    email: str
    """none, pending, sent or failed."""

    @classmethod
    def from_status(cls, status: Status) -> Notification:
        data = status.data
        return cls(
            id=status.subject_id,
            cause=str(data.get("cause", "")),
            title=str(data.get("title", "")),
            link=str(data.get("link", "/")),
            raised_at=str(data.get("raised_at", "")),
            unread=status.state == NotificationState.UNREAD,
            email=str(data.get("email", "none")),
        )


@dataclass(frozen=True, slots=True)
class SweepResult:
    raised: int
    emailed: int
    failed: int


class Notifications:
    def __init__(
        self,
        store: NotificationStore,
        log: EventLog,
        clock: Clock,
        *,
        email_of: Callable[[str], str],
        mailer: Mailer | None,
        public_url: str,
        link_of: Callable[[str], str] = lambda _: "",
        lookahead: timedelta = timedelta(hours=2),
        lookback: timedelta = timedelta(days=1),
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.email_of = email_of
        self.mailer = mailer
        self.public_url = public_url.rstrip("/")
        self.link_of = link_of
        """For a recipient with no account, the link its e-mail carries, made at sending so that a
        credential in it is never stored; "": the notification's own link."""
        self.lookahead = lookahead
        self.lookback = lookback

    # ------------------------------------------------------------------ reading

    def inbox(self, user_id: str, limit: int = 100) -> list[Notification]:
        return [Notification.from_status(status) for status in self.store.inbox(user_id, limit)]

    def unread_count(self, user_id: str) -> int:
        return self.store.unread_count(user_id)

    # ------------------------------------------------------------------ the reader

    def mark_read(self, user_id: str, notification_ids: Sequence[str]) -> int:
        """Mark the user's own notifications read; others' ids are refused. Returns how many changed."""
        events = []
        for subject_id in notification_ids:
            status = self.store.status(SUBJECT, subject_id)
            if status is None or status.assignee != user_id:
                raise NotFound(f"notification: no notification {subject_id!r} of yours")
            if status.state == NotificationState.UNREAD:
                events.append(self._event(NOTIFICATION_READ, subject_id, f"{NOTIFICATION_READ}:{subject_id}"))
        return len(self.log.append_many(events).appended)

    def mark_all_read(self, user_id: str) -> int:
        unread = [n.id for n in self.inbox(user_id, limit=1000) if n.unread]
        return self.mark_read(user_id, unread)

    # ------------------------------------------------------------------ the sweep

    def raise_due(self) -> int:
        """Raise the notifications for every cause in view; returns how many were new."""
        now = self.clock.now()
        users = [user for user in self.store.users() if not user.disabled]
        moderators = [user for user in users if Role.MODERATOR in user.roles]
        by_id = {user.id: user for user in users}
        events: list[Event] = []

        def tell(recipients: Sequence[User], cause: Cause, key: str, title: str, link: str) -> None:
            for user in dict.fromkeys(recipients):
                email = self.mailer is not None and bool(self.email_of(user.id))
                events.append(
                    raised(user.id, cause=cause, cause_key=key, title=title, link=link, email=email, at=now)
                )

        for item in self.store.items_due_between(now, now + self.lookahead, limit=500):
            assert item.due_at is not None
            recipients = [by_id[item.assignee]] if item.assignee in by_id else moderators
            tell(
                recipients,
                Cause.CLOCK_SOON,
                f"clock.soon:{item.subject_id}:{item.due_at.isoformat()}",
                f"The clock on an item reported as {plain(item.category or 'other')} runs out at {when(item.due_at)}",
                f"/console/items/{item.subject_id}",
            )
        for event in self.store.events_since(CAUSE_KINDS, now - self.lookback, limit=2000):
            if event.kind == INCIDENT_OPENED:
                target_id = str(event.payload.get("target_id", ""))
                guards = [
                    u for u in users if target_id in u.target_ids and u.roles & {Role.TARGET, Role.DELEGATE}
                ]
                tell(
                    moderators,
                    Cause.INCIDENT_OPENED,
                    event.idempotency_key,
                    "A pile-on has begun",
                    f"/targets/{target_id}",
                )
                tell(
                    guards,
                    Cause.INCIDENT_OPENED,
                    event.idempotency_key,
                    "A pile-on against you has begun: your shield and inbox can help",
                    f"/inbox/{target_id}",
                )
                continue
            if event.kind in (REFERRAL_STATUS_UPDATED, REFERRAL_OUTCOME):
                self._referral_updated(event, users, by_id, tell)
                continue
            reported = self.store.status(event.subject_type, event.subject_id)
            ids = reported.data.get("reporters", []) if reported else []
            reporters = [by_id[r] for r in ids if r in by_id]
            action = event.payload.get("new_action") or event.payload.get("action")
            what = "appeal decided" if event.kind == APPEAL_DECIDED else "decided"
            tell(
                reporters,
                Cause.OUTCOME_DECIDED,
                event.idempotency_key,
                f"A message you reported was {what}: {plain(action or 'no_action')}",
                "/reports",
            )
        return len(self.log.append_many(events).appended)

    def _referral_updated(
        self,
        event: Event,
        users: Sequence[User],
        by_id: dict[str, User],
        tell: Callable[[Sequence[User], Cause, str, str, str], None],
    ) -> None:
        """Tell of a police status or outcome recorded on a referral: the person who made the
        referral (its page) and the protected person and their delegates (their own page, since
        the referral's is for staff). The one who recorded it is not told of their own update.
        The title names what changed and the referral's references, never the note or any
        message text."""
        referral = self.store.status(event.subject_type, event.subject_id)
        if referral is None:
            return
        recorder = event.actor.removeprefix("user:")
        creator = str(referral.data.get("created_by", "")).removeprefix("user:")
        if event.kind == REFERRAL_OUTCOME:
            what = f"closed with the outcome: {plain(str(event.payload.get('outcome', 'other')))}"
        else:
            what = f"police status is now: {plain(str(event.payload.get('police_status', '')))}"
        reference = f"Referral {event.subject_id}"
        crime = str(event.payload.get("crime_reference") or referral.data.get("crime_reference") or "")
        if crime:
            reference += f" (police reference {crime})"
        title = f"{reference}: {what}"
        if creator in by_id and creator != recorder:
            tell(
                [by_id[creator]],
                Cause.REFERRAL_UPDATED,
                event.idempotency_key,
                title,
                f"/referrals/{event.subject_id}",
            )
        target_id = referral.target_id
        if target_id:
            guards = [
                u
                for u in users
                if target_id in u.target_ids and u.roles & {Role.TARGET, Role.DELEGATE} and u.id != recorder
            ]
            tell(guards, Cause.REFERRAL_UPDATED, event.idempotency_key, title, f"/targets/{target_id}")

    def email_outside(self, recipient_id: str, *, cause: Cause, cause_key: str, title: str) -> bool:
        """Queue an e-mail to someone with no account (a complaint's party): `email_of` and
        `link_of` give its address and link when it is sent. Written in the caller's unit of work
        and sent by the sweep, never in the request; once per cause. False: no mailer or no
        address, nothing queued."""
        if self.mailer is None or not self.email_of(recipient_id):
            return False
        event = raised(
            recipient_id,
            cause=cause,
            cause_key=cause_key,
            title=title,
            link="",
            email=True,
            at=self.clock.now(),
        )
        self.log.append_many([event])
        return True

    def deliver(self, limit: int = 50) -> tuple[int, int]:
        """Send the e-mails that are due; returns (sent, failed)."""
        if self.mailer is None:
            return 0, 0
        sent = failed = 0
        for status in self.store.emails_due(self.clock.now(), limit):
            note = Notification.from_status(status)
            address = self.email_of(status.assignee or "")
            link = self.link_of(status.assignee or "") or note.link
            attempts = int(status.data.get("attempts", 0))
            try:
                if not address:
                    raise ValueError("the user has no e-mail address any more")
                why = (
                    "You receive this because you made, or are named in, a complaint; the link is yours"
                    " alone: do not forward it.\n"
                    if note.cause == Cause.COMPLAINT_COMMUNICATED
                    else "You receive this because you use Hustings; your account page says which e-mail it uses.\n"
                )
                self.mailer.send(
                    address,
                    f"Hustings: {note.title}",
                    f"{note.title}.\n\nOpen it in Hustings: {self.public_url}{link}\n\n{why}",
                )
            except (OSError, ValueError, Exception) as error:
                key = f"{NOTIFICATION_EMAIL_FAILED}:{status.subject_id}:{attempts}"
                self.log.append_many(
                    [
                        self._event(
                            NOTIFICATION_EMAIL_FAILED, status.subject_id, key, error=type(error).__name__
                        )
                    ]
                )
                failed += 1
                continue
            key = f"{NOTIFICATION_EMAILED}:{status.subject_id}"
            to = "" if note.cause in ADDRESS_UNLOGGED else address
            self.log.append_many([self._event(NOTIFICATION_EMAILED, status.subject_id, key, to=to)])
            sent += 1
        return sent, failed

    def _event(self, kind: str, subject_id: str, key: str, **payload: str) -> Event:
        return Event(
            kind=kind,
            subject_type=SUBJECT,
            subject_id=subject_id,
            actor="system",
            occurred_at=self.clock.now(),
            idempotency_key=key,
            payload=dict(payload),
        )


__all__ = ["Notification", "NotificationStore", "Notifications", "SweepResult", "notification_id"]
