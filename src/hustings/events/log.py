"""Appending to the event log and keeping statuses in step with it.

`EventLog` is storage-agnostic: it talks to an `EventStore`, of which there is an in-memory one
here (for domain tests) and a SQL one in `hustings.storage.events`. The store never commits; the
caller owns the transaction, so an event and the status it produces are written together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from hustings.errors import DuplicateEvent
from hustings.events.model import Event, Reducer, Status

SubjectKey = tuple[str, str]


class EventStore(Protocol):
    """What the event log needs from storage."""

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """The idempotency keys among `keys` that the log already holds."""
        ...

    def load_statuses(self, subjects: Iterable[SubjectKey]) -> dict[SubjectKey, Status]: ...

    def append(
        self, events: Sequence[Event], statuses: Sequence[Status], read: Mapping[SubjectKey, Status]
    ) -> list[Event]:
        """Append events in order and write the statuses they lead to, all or nothing; return the
        events (with `seq` where the store assigns it at insert).

        `read` holds the statuses the events were applied to, as the caller read them (a subject
        missing from it had none). Raise `DuplicateEvent`, storing nothing, if a key is already
        held or a subject's status is no longer the one read: a concurrent writer got there
        between the reads and this call.
        """
        ...

    def save_statuses(self, statuses: Sequence[Status], existing: set[SubjectKey]) -> None:
        """Insert the statuses whose subject is not in `existing`, update the others."""
        ...

    def iter_events(self) -> Iterator[Event]:
        """Every event in log order."""
        ...

    def clear_statuses(self) -> None: ...

    def events_for(self, subject_type: str, subject_id: str) -> list[Event]:
        """One subject's events in log order."""
        ...


@dataclass(frozen=True, slots=True)
class AppendResult:
    appended: list[Event]
    duplicates: list[Event]
    statuses: dict[SubjectKey, Status]


def version(status: Status | None) -> int:
    """How many events a status has taken in (0 for none): what a writer checks has not moved on."""
    return status.event_count if status is not None else 0


def apply(reducers: Mapping[str, Reducer], status: Status | None, event: Event) -> Status:
    """Apply one event to a status with the reducer for its subject type; count it."""
    try:
        reducer = reducers[event.subject_type]
    except KeyError:
        raise LookupError(f"no reducer is registered for subject type {event.subject_type!r}") from None
    after = reducer(status, event)
    return replace(
        after,
        event_count=(status.event_count if status else 0) + 1,
        updated_at=event.occurred_at,
    )


def fold(reducers: Mapping[str, Reducer], events: Iterable[Event]) -> dict[SubjectKey, Status]:
    """Every subject's status computed from scratch from `events`, in order."""
    statuses: dict[SubjectKey, Status] = {}
    for event in events:
        statuses[event.subject] = apply(reducers, statuses.get(event.subject), event)
    return statuses


class EventLog:
    """The only way state changes: append events, and statuses follow."""

    def __init__(self, store: EventStore, reducers: Mapping[str, Reducer]) -> None:
        self.store = store
        self.reducers = reducers

    def history(self, subject_type: str, subject_id: str) -> list[Event]:
        """One subject's events, oldest first."""
        return self.store.events_for(subject_type, subject_id)

    def append(self, event: Event) -> Status:
        """Append one event; raise `DuplicateEvent` if its idempotency key is already logged."""
        result = self.append_many([event])
        if result.duplicates:
            raise DuplicateEvent(f"event {event.idempotency_key!r} is already in the log")
        return result.statuses[event.subject]

    def append_many(self, events: Sequence[Event]) -> AppendResult:
        """Append the events not already logged (by idempotency key), and update statuses.

        Events with a key already in the log, or repeated within `events`, are returned as
        duplicates and change nothing. If a concurrent writer logs one of the keys between the
        check and the insert, the check is made once more, so its events count as duplicates too.
        If it only changed the status of a subject these events are on, they were decided on a
        state that is gone: `DuplicateEvent`, and nothing is written.
        """
        keys = [event.idempotency_key for event in events]
        known = self.store.known_keys(keys)
        try:
            return self._append_many(events, known)
        except DuplicateEvent:
            again = self.store.known_keys(keys)
            if again == known:
                raise
            return self._append_many(events, again)

    def _append_many(self, events: Sequence[Event], known: set[str]) -> AppendResult:
        known = set(known)
        fresh: list[Event] = []
        duplicates: list[Event] = []
        for event in events:
            if event.idempotency_key in known:
                duplicates.append(event)
            else:
                known.add(event.idempotency_key)
                fresh.append(event)
        if not fresh:
            return AppendResult(appended=[], duplicates=duplicates, statuses={})
        subjects = list(dict.fromkeys(event.subject for event in fresh))
        before = self.store.load_statuses(subjects)
        statuses = dict(before)
        for event in fresh:
            statuses[event.subject] = apply(self.reducers, statuses.get(event.subject), event)
        changed = [statuses[subject] for subject in subjects]
        appended = self.store.append(fresh, changed, read=before)
        return AppendResult(
            appended=appended, duplicates=duplicates, statuses={s: statuses[s] for s in subjects}
        )

    def rebuild(self) -> int:
        """Recompute every status from the log; return the number of events replayed."""
        self.store.clear_statuses()
        count = 0
        statuses: dict[SubjectKey, Status] = {}
        for event in self.store.iter_events():
            statuses[event.subject] = apply(self.reducers, statuses.get(event.subject), event)
            count += 1
        self.store.save_statuses(list(statuses.values()), existing=set())
        return count


class InMemoryEventStore:
    """An `EventStore` in plain dicts, for domain tests that need no database."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.keys: set[str] = set()
        self.statuses: dict[SubjectKey, Status] = {}

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        return {key for key in keys if key in self.keys}

    def append(
        self, events: Sequence[Event], statuses: Sequence[Status], read: Mapping[SubjectKey, Status]
    ) -> list[Event]:
        for status in statuses:
            if version(self.statuses.get(status.subject)) != version(read.get(status.subject)):
                raise DuplicateEvent(f"{status.subject_type} {status.subject_id!r} changed since it was read")
        held = [event.idempotency_key for event in events if event.idempotency_key in self.keys]
        if held:
            raise DuplicateEvent(f"event {held[0]!r} is already in the log")
        stored = []
        for event in events:
            numbered = replace(event, seq=len(self.events) + 1)
            self.events.append(numbered)
            self.keys.add(event.idempotency_key)
            stored.append(numbered)
        self.save_statuses(statuses, existing=set(read))
        return stored

    def load_statuses(self, subjects: Iterable[SubjectKey]) -> dict[SubjectKey, Status]:
        return {subject: self.statuses[subject] for subject in subjects if subject in self.statuses}

    def save_statuses(self, statuses: Sequence[Status], existing: set[SubjectKey]) -> None:
        for status in statuses:
            self.statuses[status.subject] = status

    def iter_events(self) -> Iterator[Event]:
        return iter(list(self.events))

    def clear_statuses(self) -> None:
        self.statuses.clear()

    def events_for(self, subject_type: str, subject_id: str) -> list[Event]:
        return [e for e in self.events if (e.subject_type, e.subject_id) == (subject_type, subject_id)]
