"""An in-memory `ModerationStore`, the twin of `hustings.storage.moderation.SqlModerationStore`,
so moderation's domain tests run with no database.

It reads statuses and events from the `InMemoryEventStore` the log writes to, and keeps
messages, targets and the near-duplicate index in dicts. It is also a `MessageRepository`, so
`hustings.messages.ingest.ingest` can store into it and call `Moderation.intake`. Queues are
ranked by brute force with `effective_priority`, the formula the SQL ranking implements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from hustings.elections.events import CANDIDATE, ELECTION, candidate_from_status, election_from_status
from hustings.elections.model import EXPOSED
from hustings.events import Event, InMemoryEventStore, Status, user_actor
from hustings.messages.events import SUBJECT
from hustings.messages.model import Message
from hustings.moderation.clusters import MAX_PER_BAND, Indexed, Member
from hustings.moderation.events import REPORT_FILED
from hustings.moderation.queues import (
    BREACH_WINDOW,
    CLOCKED_STATES,
    Exposure,
    QueueEntry,
    QueueSearch,
    QueueSpec,
    all_queues,
    effective_priority,
    lane_due,
)
from hustings.protection.events import INCIDENT
from hustings.targets.model import Target

_INCIDENT_OPEN = "open"  # an open incident's state (`hustings.protection.events.reduce_incident`)


class InMemoryModerationStore:
    """A `ModerationStore` (and `MessageRepository`) in plain dicts, for domain tests."""

    def __init__(self, events: InMemoryEventStore) -> None:
        self.events = events
        self.messages: dict[str, Message] = {}
        self.targets: dict[str, Target] = {}
        self.index: dict[str, tuple[Indexed, str | None]] = {}
        """Message id -> (its entry in the near-duplicate index, its cluster now)."""

    # ------------------------------------------------------------ as a MessageRepository

    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        return {message_id for message_id in ids if message_id in self.messages}

    def resolve_targets(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        handles = {handle: target.id for target in self.targets.values() for handle in target.handles}
        resolved: dict[tuple[str, str], str] = {}
        for source, ref in refs:
            if (source, ref) in handles:
                resolved[(source, ref)] = handles[(source, ref)]
            elif ref in self.targets:
                resolved[(source, ref)] = ref
        return resolved

    def add_many(self, messages: Sequence[Message]) -> set[str]:
        new = {message.id: message for message in messages if message.id not in self.messages}
        self.messages.update(new)
        return set(new)

    # ------------------------------------------------------------ the near-duplicate index

    def _member(self, message_id: str) -> Member:
        entry, cluster_id = self.index[message_id]
        return Member(message_id, cluster_id, entry.signature)

    def lookup(
        self, digests: Sequence[str], keys: Sequence[str]
    ) -> tuple[dict[str, Member], dict[str, list[Member]]]:
        wanted, bands = set(digests), set(keys)
        by_digest: dict[str, Member] = {}
        # One in a cluster first, then by message id: the order the SQL index reads them in.
        for message_id in sorted(self.index, key=lambda mid: (self.index[mid][1] is None, mid)):
            entry = self.index[message_id][0]
            if entry.text_hash in wanted:
                by_digest.setdefault(entry.text_hash, self._member(message_id))
        by_key: dict[str, list[Member]] = {}
        for message_id in sorted(self.index):
            for key in bands.intersection(self.index[message_id][0].band_keys):
                group = by_key.setdefault(key, [])
                if len(group) < MAX_PER_BAND:
                    group.append(self._member(message_id))
        return by_digest, by_key

    def save(self, entries: Sequence[Indexed], clusters: dict[str, str]) -> None:
        for entry in entries:
            self.index[entry.message_id] = (entry, entry.cluster_id)
        for message_id, cluster_id in clusters.items():
            self.index[message_id] = (self.index[message_id][0], cluster_id)

    # ------------------------------------------------------------ an item and its context

    def _items(self) -> list[Status]:
        return [status for (kind, _), status in self.events.statuses.items() if kind == SUBJECT]

    def message(self, message_id: str) -> Message | None:
        return self.messages.get(message_id)

    def events_for(self, message_id: str) -> list[Event]:
        return [event for event in self.events.events if event.subject == (SUBJECT, message_id)]

    def thread(self, message: Message, depth: int) -> list[Message]:
        parents: list[Message] = []
        seen = {message.id}
        parent = self.messages.get(message.in_reply_to_id or "")
        while parent is not None and parent.id not in seen and len(parents) < depth:
            seen.add(parent.id)
            parents.append(parent)
            parent = self.messages.get(parent.in_reply_to_id or "")
        return parents[::-1]

    def replies(self, message_id: str, limit: int) -> list[Message]:
        found = [m for m in self.messages.values() if m.in_reply_to_id == message_id]
        return sorted(found, key=lambda m: (m.created_at, m.id))[:limit]

    def author_history(self, message: Message, limit: int) -> list[Message]:
        targets = set(message.target_ids)
        found = [
            other
            for other in self.messages.values()
            if other.author.key == message.author.key
            and other.id != message.id
            and targets & set(other.target_ids)
        ]
        newest_first = sorted(found, key=lambda m: m.id)
        newest_first.sort(key=lambda m: m.created_at, reverse=True)
        return newest_first[:limit]

    def target(self, target_id: str) -> Target | None:
        return self.targets.get(target_id)

    def exposure(self, now: datetime) -> Exposure:
        incidents = frozenset(
            status.target_id
            for (kind, _), status in self.events.statuses.items()
            if kind == INCIDENT and status.state == _INCIDENT_OPEN and status.target_id
        )
        in_period = {
            election.id
            for election in (election_from_status(s) for s in self._statuses(ELECTION))
            if election.in_period(now)
        }
        candidates = frozenset(
            candidate.target_id
            for candidate in map(candidate_from_status, self._statuses(CANDIDATE))
            if any(c.election_id in in_period and c.state in EXPOSED for c in candidate.candidacies)
        )
        return Exposure(incident_targets=incidents, candidate_targets=candidates)

    # ------------------------------------------------------------ queues

    def _in(self, spec: QueueSpec, status: Status, now: datetime, reader_id: str | None) -> bool:
        return (
            status.state in spec.states
            and (spec.category is None or status.category == spec.category)
            and (not spec.mine or status.assignee == (reader_id or ""))
            and (not spec.due_soon or (status.due_at is not None and status.due_at <= now + BREACH_WINDOW))
            and (not spec.lane or lane_due(status) is not None)
            and (
                (spec.election_id is None and spec.ballot_id is None)
                or status.target_id in self._standing_targets(spec.election_id, spec.ballot_id)
            )
            and self._searched(spec.search, status)
        )

    def _searched(self, search: QueueSearch, status: Status) -> bool:
        if search.target_id and status.target_id != search.target_id:
            return False
        if search.label and status.category != search.label:
            return False
        if not (search.author or search.text or search.since or search.until):
            return True
        message = self.messages.get(status.subject_id)
        return message is not None and search.matches_message(
            handle=message.author.handle, text=message.text, created_at=message.created_at
        )

    def _statuses(self, subject_type: str) -> list[Status]:
        return [status for (kind, _), status in self.events.statuses.items() if kind == subject_type]

    def _standing_targets(self, election_id: str | None, ballot_id: str | None) -> set[str]:
        """The targets of an election's or a ballot's candidates, withdrawn ones too."""
        return {
            candidate.target_id
            for candidate in map(candidate_from_status, self._statuses(CANDIDATE))
            if any(
                (election_id is None or c.election_id == election_id)
                and (ballot_id is None or c.ballot_paper_id == ballot_id)
                for c in candidate.candidacies
            )
        }

    def queue_page(
        self, spec: QueueSpec, *, now: datetime, reader_id: str | None, limit: int = 50, offset: int = 0
    ) -> list[QueueEntry]:
        exposure = self.exposure(now)
        ranked = [
            QueueEntry(
                status, effective_priority(status, now, exposure.incident_targets, exposure.candidate_targets)
            )
            for status in self._items()
            if self._in(spec, status, now, reader_id)
        ]
        ranked.sort(key=lambda entry: entry.status.subject_id)
        if spec.lane:
            ranked.sort(key=lambda entry: lane_due(entry.status) or now)
        elif spec.due_soon:
            ranked.sort(key=lambda entry: entry.status.due_at or now)
        else:
            ranked.sort(key=lambda entry: (entry.status.due_at is None, entry.status.due_at or now))
            ranked.sort(key=lambda entry: entry.priority, reverse=True)
        return ranked[offset : offset + limit]

    def queue_counts(self, *, now: datetime, reader_id: str | None) -> dict[str, int]:
        items = self._items()
        return {
            spec.name: sum(1 for status in items if self._in(spec, status, now, reader_id))
            for spec in all_queues()
        }

    def overdue_unflagged(self, now: datetime, limit: int = 1000) -> list[Status]:
        overdue = [
            status
            for status in self._items()
            if status.state in CLOCKED_STATES
            and status.due_at is not None
            and status.due_at <= now
            and not status.data.get("breached")
        ]
        return sorted(overdue, key=lambda status: (status.due_at or now, status.subject_id))[:limit]

    def cluster_members(self, cluster_id: str, limit: int = 5000) -> list[Status]:
        members = [status for status in self._items() if status.cluster_id == cluster_id]
        return sorted(members, key=lambda status: status.subject_id)[:limit]

    def statuses(self, message_ids: Sequence[str]) -> dict[str, Status]:
        found = self.events.load_statuses([(SUBJECT, message_id) for message_id in message_ids])
        return {subject_id: status for (_, subject_id), status in found.items()}

    def texts(self, message_ids: Sequence[str]) -> dict[str, str]:
        return {mid: self.messages[mid].text for mid in message_ids if mid in self.messages}

    def reports_by(self, reporter_id: str, limit: int = 200) -> list[Event]:
        actor = user_actor(reporter_id)
        filed = [event for event in self.events.events if event.kind == REPORT_FILED and event.actor == actor]
        return filed[::-1][:limit]
