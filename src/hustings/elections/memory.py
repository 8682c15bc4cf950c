"""An `ElectionStore` in plain dicts, so the elections service's tests need no database.

It reads statuses from the `InMemoryEventStore` the log writes to, and keeps targets and their
handles itself, as the SQL store keeps them in the targets tables.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from hustings.clock import as_utc
from hustings.elections.events import CANDIDATE
from hustings.elections.model import CandidacyState, Candidate
from hustings.elections.service import CandidacyRecord, HandleKey
from hustings.errors import Conflict
from hustings.events import InMemoryEventStore, Status
from hustings.targets.model import Target


class InMemoryElectionStore:
    def __init__(self, events: InMemoryEventStore) -> None:
        self.events = events
        self.targets: dict[str, Target] = {}
        self.handles: dict[HandleKey, str] = {}
        self.index: dict[tuple[str, str], CandidacyRecord] = {}

    # Set-up helper for tests: a target registered by hand, as `POST /v1/targets` does.
    def add_target(self, target: Target) -> Target:
        self.targets[target.id] = target
        for key in target.handles:
            self.handles[key] = target.id
        return target

    def statuses(
        self,
        subject_type: str,
        subject_ids: Collection[str] | None = None,
        *,
        due_after: datetime | None = None,
    ) -> dict[str, Status]:
        found = {
            subject_id: status
            for (kind, subject_id), status in self.events.statuses.items()
            if kind == subject_type and (subject_ids is None or subject_id in subject_ids)
        }
        if due_after is not None:
            found = {
                key: s for key, s in found.items() if s.due_at is not None and as_utc(s.due_at) > due_after
            }
        return found

    def candidates_of_targets(self, target_ids: Collection[str]) -> dict[str, str]:
        return {
            status.target_id: status.subject_id
            for status in self.statuses(CANDIDATE).values()
            if status.target_id is not None and status.target_id in target_ids
        }

    def handle_owners(self, handles: Collection[HandleKey]) -> dict[HandleKey, str]:
        return {key: self.handles[key] for key in handles if key in self.handles}

    def target(self, target_id: str) -> Target | None:
        return self.targets.get(target_id)

    def create_targets(self, targets: Sequence[Target], *, now: datetime) -> None:
        for target in targets:
            self.targets[target.id] = replace(target, handles=())
            self.add_handles(target.id, target.handles)

    def update_target(
        self, target_id: str, *, name: str, party: str | None, constituency: str | None
    ) -> None:
        self.targets[target_id] = replace(
            self.targets[target_id], name=name, party=party, constituency=constituency
        )

    def add_handles(self, target_id: str, handles: Sequence[HandleKey]) -> None:
        for key in handles:
            owner = self.handles.get(key)
            if owner is not None and owner != target_id:
                raise Conflict(f"handles: {key[0]} handle @{key[1]} already belongs to another target")
            self.handles[key] = target_id
        self._refresh(target_id)

    def remove_handles(self, target_id: str, handles: Sequence[HandleKey]) -> None:
        for key in handles:
            if self.handles.get(key) == target_id:
                del self.handles[key]
        self._refresh(target_id)

    def _refresh(self, target_id: str) -> None:
        mine = tuple(sorted(key for key, owner in self.handles.items() if owner == target_id))
        self.targets[target_id] = replace(self.targets[target_id], handles=mine)

    def index_candidacies(self, candidates: Sequence[Candidate]) -> None:
        people = {c.person_id for c in candidates}
        self.index = {key: record for key, record in self.index.items() if record.person_id not in people}
        for candidate in candidates:
            for candidacy in candidate.candidacies:
                self.index[(candidacy.ballot_paper_id, candidate.person_id)] = CandidacyRecord(
                    person_id=candidate.person_id,
                    ballot_paper_id=candidacy.ballot_paper_id,
                    election_id=candidacy.election_id,
                    target_id=candidate.target_id,
                    state=candidacy.state,
                )

    def candidacies(
        self,
        *,
        election_ids: Collection[str] | None = None,
        ballot_ids: Collection[str] | None = None,
        states: Collection[CandidacyState] | None = None,
    ) -> list[CandidacyRecord]:
        return [
            record
            for _, record in sorted(self.index.items())
            if (election_ids is None or record.election_id in election_ids)
            and (ballot_ids is None or record.ballot_paper_id in ballot_ids)
            and (states is None or record.state in states)
        ]
