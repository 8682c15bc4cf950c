"""A `ProtectionStore` in plain dicts, so protection's domain tests need no database.

It reads statuses from the `InMemoryEventStore` the log writes to, as the SQL store reads the
status table the SQL event store writes; messages and targets are put in by the test (ingest
stores them in SQL).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from hustings.events.log import InMemoryEventStore
from hustings.events.model import Status
from hustings.messages.model import Message
from hustings.protection import events as ev
from hustings.protection.events import DeliveryState, IncidentState, ShieldState
from hustings.protection.inbox import INBOX_FOLDERS, InboxItem

_LONG_AGO = datetime.min.replace(tzinfo=UTC)


class InMemoryProtectionStore:
    def __init__(self, events: InMemoryEventStore) -> None:
        self.events = events
        self.messages: dict[str, Message] = {}
        self.targets: set[str] = set()
        self.detector_states: dict[str, dict[str, Any]] = {}

    # Set-up helpers for tests: in SQL, targets are registered and messages stored by ingest.
    def add_target(self, target_id: str) -> None:
        self.targets.add(target_id)

    def add_messages(self, messages: Iterable[Message]) -> None:
        for message in messages:
            self.messages[message.id] = message

    def _of_type(self, subject_type: str) -> list[Status]:
        return [status for (kind, _), status in self.events.statuses.items() if kind == subject_type]

    # ProtectionStore
    def status(self, subject_type: str, subject_id: str) -> Status | None:
        return self.events.statuses.get((subject_type, subject_id))

    def detector_state(self, target_id: str) -> dict[str, Any] | None:
        saved = self.detector_states.get(target_id)
        return copy.deepcopy(saved) if saved else None

    def save_detector_state(self, target_id: str, state: dict[str, Any], now: datetime) -> None:
        self.detector_states[target_id] = copy.deepcopy(state)

    def known_authors(self, target_id: str, author_keys: Iterable[str], before: datetime) -> set[str]:
        wanted = set(author_keys)
        return {
            message.author.key
            for message in self.messages.values()
            if target_id in message.target_ids
            and message.author.key in wanted
            and message.created_at < before
        }

    def open_incidents(self) -> list[Status]:
        return [s for s in self._of_type(ev.INCIDENT) if s.state == IncidentState.OPEN]

    def shields_due(self, now: datetime) -> list[Status]:
        return [
            s
            for s in self._of_type(ev.SHIELD)
            if s.state == ShieldState.ON and s.due_at is not None and s.due_at <= now
        ]

    def deliveries(self, target_id: str) -> list[Status]:
        return [s for s in self._of_type(ev.DELIVERY) if s.target_id == target_id]

    def message(self, message_id: str) -> Message | None:
        return self.messages.get(message_id)

    def target_exists(self, target_id: str) -> bool:
        return target_id in self.targets

    def incidents(
        self, target_ids: Sequence[str] | None, state: str | None = None, limit: int = 200
    ) -> list[Status]:
        found = [
            s
            for s in self._of_type(ev.INCIDENT)
            if (target_ids is None or s.target_id in target_ids) and (state is None or s.state == state)
        ]
        found.sort(key=lambda s: s.updated_at or _LONG_AGO, reverse=True)
        return found[:limit]

    def folder_counts(self, target_id: str) -> dict[str, int]:
        counts = {state.value: 0 for state in DeliveryState} | {"hostile": 0}
        for status in self.deliveries(target_id):
            counts[status.state] += 1
            if status.state in INBOX_FOLDERS["inbox"] and status.category == "hostile":
                counts["hostile"] += 1
        return counts

    def inbox(self, target_id: str, folder: str, *, limit: int = 100, offset: int = 0) -> list[InboxItem]:
        states = INBOX_FOLDERS[folder]
        items = [
            InboxItem(self.messages[status.data["message_id"]], status)
            for status in self.deliveries(target_id)
            if status.state in states
        ]
        items.sort(key=lambda item: item.message.id)
        items.sort(key=lambda item: item.message.created_at, reverse=True)
        return items[offset : offset + limit]
