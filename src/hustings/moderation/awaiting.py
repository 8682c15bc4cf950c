"""Reports on a post's address that Hustings does not hold yet: kept until the post is ingested.

A trusted flagger pastes a post's URL (`/flag`). When a stored message has that address the
report is filed on it at once (`Teams.find_message`); when none has, the report is recorded as a
``url_report.filed`` event on a ``url_report`` subject (one per address, whose status is
``awaiting``), and the flagger is told it waits. Nothing is fetched from the platform: when a
message with that address is later ingested (a connector, an import, the API), the ingest hook
`intake` files each waiting report on it as its reporter, in the ingest's transaction, and the
subject becomes ``matched``. Addresses are compared without their query string, fragment and
trailing slash, as `Teams.find_message` compares them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from hustings.auth.model import User
from hustings.clock import Clock, iso
from hustings.errors import InvalidInput
from hustings.events import Event, EventLog, Status, user_actor
from hustings.events.model import initial_status
from hustings.messages.ingest import IngestResult

SUBJECT = "url_report"
URL_REPORT_FILED = "url_report.filed"
URL_REPORT_MATCHED = "url_report.matched"
AWAITING = "awaiting"
MATCHED = "matched"


def plain_address(url: str) -> str:
    return url.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")


def url_subject(url: str) -> str:
    return hashlib.sha256(plain_address(url).encode()).hexdigest()[:40]


def reduce_url_report(status: Status | None, event: Event) -> Status:
    current = status or initial_status(event, state=AWAITING)
    data: dict[str, Any] = dict(current.data)
    if event.kind == URL_REPORT_FILED:
        data["url"] = event.payload["url"]
        data["reports"] = [*data.get("reports", []), dict(event.payload)]
        return current.evolve(state=AWAITING if current.state != MATCHED else MATCHED, data=data)
    if event.kind == URL_REPORT_MATCHED:
        data.update(message_id=event.payload["message_id"], matched_at=iso(event.occurred_at))
        return current.evolve(state=MATCHED, data=data)
    raise ValueError(f"url_report subjects do not take events of kind {event.kind!r}")


REDUCERS = {SUBJECT: reduce_url_report}
FileReport = Callable[..., object]


class AwaitingReports:
    """Reports waiting for their post to be ingested; `file_report` is moderation's."""

    def __init__(
        self, log: EventLog, clock: Clock, *, file_report: FileReport, user: Callable[[str], User | None]
    ) -> None:
        self.log = log
        self.clock = clock
        self.file_report = file_report
        self.user = user

    def record(
        self, url: str, *, reporter: User, category: str, claims_illegal: bool, note: str, nonce: str
    ) -> Status:
        """Keep a report on an address no stored message has; filed on the message once it is ingested."""
        if not url.startswith(("http://", "https://")) or len(url) > 2000:
            raise InvalidInput("reference: give the post's full address, starting https://")
        subject_id = url_subject(url)
        status = self.log.store.load_statuses([(SUBJECT, subject_id)]).get((SUBJECT, subject_id))
        if status is not None and status.state == MATCHED:
            raise InvalidInput("reference: that post is held now; flag it again to report it")
        event = Event(
            kind=URL_REPORT_FILED,
            subject_type=SUBJECT,
            subject_id=subject_id,
            actor=user_actor(reporter.id),
            occurred_at=self.clock.now(),
            idempotency_key=f"{URL_REPORT_FILED}:{subject_id}:{reporter.id}:{nonce}",
            payload={
                "url": plain_address(url),
                "reporter_id": reporter.id,
                "category": category,
                "claims_illegal": claims_illegal,
                "note": note,
            },
        )
        self.log.append_many([event])  # the same form sent twice is one report
        return self.log.store.load_statuses([(SUBJECT, subject_id)])[(SUBJECT, subject_id)]

    def intake(self, result: IngestResult) -> None:
        """The ingest hook: file each waiting report on the newly stored message with its address."""
        by_subject = {url_subject(m.url): m for m in result.stored if m.url}
        if not by_subject:
            return
        waiting = self.log.store.load_statuses([(SUBJECT, s) for s in by_subject])
        for (_, subject_id), status in waiting.items():
            if status.state != AWAITING:
                continue
            message = by_subject[subject_id]
            for report in status.data.get("reports", []):
                reporter = self.user(str(report.get("reporter_id", "")))
                if reporter is None or reporter.disabled:
                    continue
                self.file_report(
                    message_id=message.id,
                    reporter=reporter,
                    category=str(report.get("category", "other")),
                    claims_illegal=bool(report.get("claims_illegal")),
                    note=str(report.get("note", "")),
                )
            self.log.append(
                Event(
                    kind=URL_REPORT_MATCHED,
                    subject_type=SUBJECT,
                    subject_id=subject_id,
                    actor="system",
                    occurred_at=self.clock.now(),
                    idempotency_key=f"{URL_REPORT_MATCHED}:{subject_id}",
                    payload={"message_id": message.id},
                )
            )
