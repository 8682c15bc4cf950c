"""`PrivateDetails`: the private-details register as a service, and its ingest hook.

Built only by `hustings.services.Services.private_details`, over a `PrivateDetailStore` (SQL in
`hustings.storage.private`, in memory in `hustings.protection.private_memory`), the event log,
the clock, the `SecretBox` the details are sealed with, and the `MatchDesk` (moderation) it files
its reports through. Nothing here commits.

The plaintext of a detail leaves this class only through `details` (the register page, for the
target, their delegates and admins) and the matching it does itself; the log, the reports and
the alerts name a detail's kind and id only.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from hustings.auth.second_factor import SecretBox
from hustings.clock import Clock
from hustings.errors import NotFound
from hustings.events import Event, EventLog, Status
from hustings.messages.ingest import IngestResult
from hustings.messages.model import Message
from hustings.protection.inbox import InboxItem
from hustings.protection.private import (
    MATCH_CLOCK_HOURS,
    MATCHER_MODEL,
    DetailKind,
    Match,
    PrivateDetail,
    Register,
    clean_detail,
    detail_added,
    detail_matched,
    detail_removed,
    redact,
)


@dataclass(frozen=True, slots=True)
class SealedDetail:
    """A detail as it is stored: its value sealed under the service secret."""

    id: str
    target_id: str
    kind: DetailKind
    sealed: str
    added_at: datetime


class PrivateDetailStore(Protocol):
    """What the register needs from storage beyond the event log. Never commits."""

    def sealed(self, target_ids: Collection[str]) -> list[SealedDetail]:
        """The details of these targets, oldest first, in one read."""
        ...

    def add(self, detail: SealedDetail) -> None: ...

    def remove(self, target_id: str, detail_id: str) -> SealedDetail | None:
        """Delete the detail (its ciphertext goes with it); None if the target has no such detail."""
        ...

    def all_sealed(self) -> list[SealedDetail]: ...

    def replace_sealed(self, detail_id: str, sealed: str) -> None: ...

    def status(self, target_id: str) -> Status | None: ...

    def target_exists(self, target_id: str) -> bool: ...

    def doxxing_evidence(self, message_ids: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        """Per message, the spans the detector's latest assessment gave as doxxing evidence."""
        ...


class MatchDesk(Protocol):
    """Where a match is reported: moderation owns reports and their clocks."""

    def file_private_detail_report(
        self, message_id: str, *, kinds: Sequence[str], model: str, clock_hours: int
    ) -> str | None: ...


class PrivateDetails:
    def __init__(
        self, store: PrivateDetailStore, log: EventLog, clock: Clock, box: SecretBox, *, reports: MatchDesk
    ) -> None:
        self.store = store
        self.log = log
        self.clock = clock
        self.box = box
        self.reports = reports

    # ------------------------------------------------------------------ the register

    def _open(self, sealed: Iterable[SealedDetail]) -> list[PrivateDetail]:
        return [PrivateDetail(d.id, d.target_id, d.kind, self.box.open(d.sealed), d.added_at) for d in sealed]

    def details(self, target_id: str) -> list[PrivateDetail]:
        """The target's details, opened. Only for the target, their delegates and admins."""
        return self._open(self.store.sealed([target_id]))

    def registers(self, target_ids: Collection[str]) -> dict[str, Register]:
        """Each target's register, opened once (one read, one decryption per detail)."""
        by_target: dict[str, list[PrivateDetail]] = defaultdict(list)
        for detail in self._open(self.store.sealed(target_ids)):
            by_target[detail.target_id].append(detail)
        return {target_id: Register(by_target[target_id]) for target_id in target_ids}

    def add(self, target_id: str, kind: DetailKind, value: str, *, actor: str) -> str:
        """Keep a detail; return its id. The log records its kind only."""
        if not self.store.target_exists(target_id):
            raise NotFound(f"target: no target {target_id!r}, or not yours")
        value = clean_detail(kind, value)
        now = self.clock.now()
        detail_id = f"pd_{secrets.token_hex(8)}"
        self.store.add(SealedDetail(detail_id, target_id, kind, self.box.seal(value), now))
        self.log.append(detail_added(target_id, detail_id, kind, actor=actor, at=now))
        return detail_id

    def remove(self, target_id: str, detail_id: str, *, actor: str) -> None:
        removed = self.store.remove(target_id, detail_id)
        if removed is None:
            raise NotFound(f"detail_id: no detail {detail_id!r} for this target")
        self.log.append(detail_removed(target_id, detail_id, removed.kind, actor=actor, at=self.clock.now()))

    def alerts(self, target_id: str) -> list[dict[str, Any]]:
        """Messages that named the target's registered details, newest first (kinds, never details)."""
        status = self.store.status(target_id)
        return [] if status is None else [dict(alert) for alert in status.data.get("alerts", [])]

    def reseal(self) -> int:
        """Seal every stored detail under the current service secret (after a key rotation)."""
        count = 0
        for detail in self.store.all_sealed():
            self.store.replace_sealed(detail.id, self.box.reseal(detail.sealed))
            count += 1
        return count

    # ------------------------------------------------------------------ ingest hook

    def intake(self, result: IngestResult) -> None:
        """The ingest hook: match each new message against its targets' registers (each opened
        once per batch); a match files a `doxxing` report due within an hour and alerts the
        target's delegates."""
        by_target: dict[str, list[Message]] = defaultdict(list)
        for message in result.stored:
            for target_id in message.target_ids:
                by_target[target_id].append(message)
        if not by_target:
            return
        registers = {t: r for t, r in self.registers(list(by_target)).items() if r}
        if not registers:
            return
        now = self.clock.now()
        events: list[Event] = []
        reported: dict[str, str | None] = {}
        for target_id, register in registers.items():
            for message in by_target[target_id]:
                matches = register.matches(message.text)
                if not matches:
                    continue
                if message.id not in reported:
                    reported[message.id] = self._report(message.id, matches)
                events.append(
                    detail_matched(target_id, message.id, matches, report_id=reported[message.id], at=now)
                )
        if events:
            self.log.append_many(events)

    def _report(self, message_id: str, matches: Sequence[Match]) -> str | None:
        return self.reports.file_private_detail_report(
            message_id,
            kinds=sorted({m.kind.value for m in matches}),
            model=MATCHER_MODEL,
            clock_hours=MATCH_CLOCK_HOURS,
        )

    # ------------------------------------------------------------------ redaction

    def redacted(self, target_id: str, items: Sequence[InboxItem]) -> list[InboxItem]:
        """The safe inbox's items with registered details, addresses, postcodes and phone numbers
        redacted (see `hustings.protection.private.redact`)."""
        if not items:
            return []
        register = self.registers([target_id])[target_id]
        evidence: Mapping[str, list[tuple[int, int]]] = self.store.doxxing_evidence(
            [item.message.id for item in items]
        )
        return [
            replace(
                item,
                message=replace(
                    item.message,
                    text=redact(
                        item.message.text, register=register, evidence=evidence.get(item.message.id, ())
                    ),
                ),
            )
            for item in items
        ]
