"""A `ComplaintStore` over the `InMemoryEventStore` the log writes to, so the service's tests need no database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from hustings.events import Event, InMemoryEventStore, Status


class InMemoryComplaintStore:
    def __init__(self, events: InMemoryEventStore) -> None:
        self.events = events
        self.keys: dict[str, str] = {}

    def status(self, subject_type: str, subject_id: str) -> Status | None:
        return self.events.statuses.get((subject_type, subject_id))

    def statuses(self, subject_type: str, *, prefix: str | None = None) -> list[Status]:
        return [
            status
            for (kind, subject_id), status in self.events.statuses.items()
            if kind == subject_type and (prefix is None or subject_id.startswith(prefix))
        ]

    def events_for(self, subject_type: str, subject_id: str) -> list[Event]:
        return [e for e in self.events.events if e.subject == (subject_type, subject_id)]

    def events_of(self, subject_types: Collection[str]) -> list[Event]:
        return [e for e in self.events.events if e.subject_type in subject_types]

    def case_key(self, reference: str) -> str | None:
        return self.keys.get(reference)

    def keep_case_key(self, reference: str, sealed: str, at: datetime) -> None:
        if reference in self.keys:
            raise ValueError(f"case {reference} already has a key")
        self.keys[reference] = sealed

    def erase_case_key(self, reference: str) -> None:
        self.keys.pop(reference, None)

    def case_keys(self) -> dict[str, str]:
        return dict(self.keys)

    def replace_case_key(self, reference: str, sealed: str) -> None:
        self.keys[reference] = sealed

    def replace_event(self, event: Event) -> None:
        events = self.events.events
        for i, logged in enumerate(events):
            if logged.idempotency_key == event.idempotency_key:
                events[i] = replace(logged, reason=event.reason, payload=event.payload)

    def replace_status(self, status: Status) -> None:
        self.events.save_statuses([status], existing={status.subject})
